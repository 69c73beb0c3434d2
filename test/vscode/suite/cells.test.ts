import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, openRunbook, runCell, waitFor, workspaceFile } from './helpers';

/** What a SQL-notebook user expects of cells: + Code makes SQL, SQL reads PostgreSQL, counters start at 1. */
export function registerCellTests(): void {
  describe('cells like a SQL notebook', () => {
    let editor: vscode.NotebookEditor;

    before(async () => {
      // A new incident, opened after another notebook has run a cell (its counter must not carry over).
      await runCell(await openRunbook('orders.cnbook'), 1);
      const probe = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'topology on=primary', 'cnprobe');
      const sql = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, '-- @on primary\nSELECT 1', 'cnsql');
      const document = await vscode.workspace.openNotebookDocument('cnbook', new vscode.NotebookData([probe, sql]));
      editor = await vscode.window.showNotebookDocument(document);
      await vscode.commands.executeCommand('notebook.selectKernel', { id: 'cnbook-postgres', extension: EXTENSION_ID });
    });

    it("opens the record's sql cells in the PostgreSQL language", async () => {
      const orders = await vscode.workspace.openNotebookDocument(workspaceFile('orders.cnbook'));
      assert.equal(orders.cellAt(1).document.languageId, 'cnsql');
      assert.ok((await vscode.languages.getLanguages()).includes('cnsql'));
    });

    it('numbers runs per notebook from 1, as a fresh Jupyter kernel does', async () => {
      const first = await runCell(editor, 1);
      assert.equal(first.executionSummary?.executionOrder, 1);
      const second = await runCell(editor, 0);
      assert.equal(second.executionSummary?.executionOrder, 2);
    });

    it('+ Code below a probe cell adds a SQL cell, then the language the user last picked', async () => {
      const added = await insertBelow(editor, 0);
      await waitFor(() => added().document.languageId === 'cnsql', 10_000, 'the new cell to become SQL');
      // The user switches the new cell to a probe: the next + Code follows that choice.
      await vscode.languages.setTextDocumentLanguage(added().document, 'cnprobe');
      await waitFor(() => added().document.languageId === 'cnprobe', 10_000, 'the switch to cnprobe');
      const next = await insertBelow(editor, 2);
      // Below a SQL cell VS Code would copy SQL: a probe proves the user's last pick is what counts.
      await waitFor(() => next().document.languageId === 'cnprobe', 10_000, 'the new cell to follow the pick');
    });
  });
}

/** + Code on the cell at `index`, as the cell toolbar's button does; returns a getter for the new cell. */
async function insertBelow(editor: vscode.NotebookEditor, index: number): Promise<() => vscode.NotebookCell> {
  editor.selections = [new vscode.NotebookRange(index, index + 1)];
  const count = editor.notebook.cellCount;
  await vscode.commands.executeCommand('notebook.cell.insertCodeCellBelow');
  await waitFor(() => editor.notebook.cellCount === count + 1, 10_000, 'the new cell');
  return () => editor.notebook.cellAt(index + 1);
}
