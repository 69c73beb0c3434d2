import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { openRunbook, primaryQuery } from './helpers';

export function registerTrustTests(): void {
  describe('cnbook in an untrusted workspace', () => {
    it('opens a runbook but executes nothing', async () => {
      assert.equal(
        vscode.workspace.isTrusted,
        false,
        'this session runs with workspace trust on and the folder untrusted',
      );
      console.log('untrusted: opening the runbook');
      const editor = await openRunbook('orders.cnbook');
      console.log('untrusted: opened');
      const cell = editor.notebook.cellAt(1);
      const outputsBefore = JSON.stringify(
        cell.outputs.map((o) => o.items.map((i) => Buffer.from(i.data).toString('base64'))),
      );
      const summaryBefore = JSON.stringify(cell.executionSummary ?? null);
      const before = await primaryQuery(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'cnbook%'",
      );
      // In restricted mode the command may wait on a trust prompt that never comes: do not await it.
      void vscode.commands.executeCommand('notebook.cell.execute', {
        ranges: [{ start: 1, end: 2 }],
        document: editor.notebook.uri,
      });
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(
        JSON.stringify(cell.outputs.map((o) => o.items.map((i) => Buffer.from(i.data).toString('base64')))),
        outputsBefore,
        'outputs unchanged',
      );
      assert.equal(JSON.stringify(cell.executionSummary ?? null), summaryBefore, 'no new execution');
      const after = await primaryQuery(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'cnbook%'",
      );
      assert.deepEqual(after, before, 'no session was opened');
    });
  });
}
