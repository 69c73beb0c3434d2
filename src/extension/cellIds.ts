import * as vscode from 'vscode';
import { CELL_ID_KEY, cellIdsNeeded } from '../core/format/cellIds';

/**
 * Gives the notebook's code cells that have none (added in the editor) or share one (pasted) an id, before
 * cells run: a run's timeline entry refers to its cell by that id. Cells read from a file got theirs on open.
 */
export async function ensureCellIds(notebook: vscode.NotebookDocument): Promise<void> {
  const cells = notebook.getCells();
  const kinds = cells.map((cell) => ({
    kind: cell.kind === vscode.NotebookCellKind.Markup ? 'markdown' : 'code',
    metadata: cell.metadata,
  }));
  const needed = cellIdsNeeded(kinds);
  if (needed.size === 0) return;
  const edit = new vscode.WorkspaceEdit();
  const edits = [...needed].map(([index, id]) =>
    vscode.NotebookEdit.updateCellMetadata(index, { ...cells[index]!.metadata, [CELL_ID_KEY]: id }),
  );
  edit.set(notebook.uri, edits);
  await vscode.workspace.applyEdit(edit);
}
