import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { answerInputBox, openRunbook, outputJson, primaryQuery, RESULT_MIME, runCell, workspaceFile } from './helpers';

function errorMessage(cell: vscode.NotebookCell): string {
  const item = cell.outputs.flatMap((o) => o.items).find((i) => i.mime === 'application/vnd.code.notebook.error');
  return item ? (JSON.parse(new TextDecoder().decode(item.data)) as { message: string }).message : '';
}

/** A cell with a `:name` that has no value asks for it once per notebook; closing the box stops the run. */
export function registerParamsTests(): void {
  describe('runbook parameters in VS Code', () => {
    it('asks for a parameter the cell uses, remembers it, forgets it on request, and stops on cancel', async function () {
      if (!process.env.CNBOOK_TEST_SIGNAL_DIR) this.skip(); // only the headless launcher can type into the box
      const editor = await openRunbook('params.cnbook');
      const expected = (await primaryQuery("SELECT count(*)::int AS n FROM orders WHERE status = 'paid'"))[0].n;
      const first = runCell(editor, 1);
      const box = await answerInputBox('status', ['paid', '{Enter}']);
      assert.match(box?.title ?? '', /:status \(cell 2\)/);
      assert.match(box?.message ?? '', /line 1: SELECT count\(\*\)::int AS n FROM :"tbl" WHERE status = :status/);
      const cell = await first;
      assert.equal(cell.executionSummary?.success, true, errorMessage(cell));
      assert.deepEqual(outputJson(cell, RESULT_MIME).results[0].statements[0].rows, [[String(expected)]]);
      // Remembered: the second run does not ask (an input box would hold the run until runCell times out).
      assert.equal((await runCell(editor, 1)).executionSummary?.success, true);
      assert.equal((await runCell(editor, 2)).executionSummary?.success, true, 'a cell without parameters runs');
      await vscode.commands.executeCommand('cnbook.changeParams', editor.notebook.uri.toString(), 'status');
      const again = runCell(editor, 1);
      await answerInputBox('status-cancel', ['{Escape}']);
      const stopped = await again;
      assert.equal(stopped.executionSummary?.success, false);
      assert.match(errorMessage(stopped), /no value was given for :status, so the cell did not run/);
      // Given values live in the workspace state, never in the notebook.
      assert.ok(await editor.notebook.save());
      assert.doesNotMatch(fs.readFileSync(workspaceFile('params.cnbook').fsPath, 'utf8'), /paid/);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });
  });
}
