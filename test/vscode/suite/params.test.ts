import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { CnbookApi } from '../../../src/extension/extension';
import {
  answerInputBox,
  EXTENSION_ID,
  openRunbook,
  outputJson,
  primaryQuery,
  RESULT_MIME,
  runCell,
  workspaceFile,
} from './helpers';

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

    it('asks for a secret-named parameter in a password box and keeps it in memory only', async function () {
      if (!process.env.CNBOOK_TEST_SIGNAL_DIR) this.skip(); // only the headless launcher can type into the box
      const editor = await openRunbook('params.cnbook');
      const uri = editor.notebook.uri.toString();
      const api = vscode.extensions.getExtension<CnbookApi>(EXTENSION_ID)?.exports;
      assert.ok(api, 'the extension exports its API');
      const secret = `hunter2-${Date.now()}`;
      const first = runCell(editor, 3);
      const box = await answerInputBox('api_password', [secret, '{Enter}']);
      assert.equal(box?.password, true, 'a password box: what is typed shows as dots');
      assert.match(box?.title ?? '', /:api_password \(cell 4\)/);
      const cell = await first;
      assert.equal(cell.executionSummary?.success, true, errorMessage(cell));
      assert.deepEqual(outputJson(cell, RESULT_MIME).results[0].statements[0].rows, [[String(secret.length)]]);
      assert.deepEqual(api.rememberedParams(uri), { stored: [], inMemory: ['api_password'] });
      // Kept for the session: the next cell using it does not ask, and its error does not show it.
      const failing = await runCell(editor, 4);
      assert.equal(failing.executionSummary?.success, false);
      assert.match(JSON.stringify(outputJson(failing, RESULT_MIME)), /invalid input syntax for type integer/);
      // Neither the outputs nor the saved record hold the value.
      for (const c of [cell, failing]) assert.doesNotMatch(JSON.stringify(outputText(c)), new RegExp(secret));
      if (editor.notebook.isDirty) assert.ok(await editor.notebook.save());
      assert.doesNotMatch(fs.readFileSync(workspaceFile('params.cnbook').fsPath, 'utf8'), new RegExp(secret));
      await vscode.commands.executeCommand('cnbook.changeParams', uri, 'api_password');
      assert.deepEqual(api.rememberedParams(uri).inMemory, []);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });
  });
}

function outputText(cell: vscode.NotebookCell): string[] {
  return cell.outputs.flatMap((o) => o.items.map((i) => new TextDecoder().decode(i.data)));
}
