import * as vscode from 'vscode';
import type { RecordCellChange } from '../core/record/recordCells';

/** A record cell change from the core (diagnosis, timeline) as a notebook edit; none when nothing changed. */
export function recordCellEdit(change: RecordCellChange): vscode.NotebookEdit | undefined {
  if (change.kind === 'unchanged') return undefined;
  const data = new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, change.cell.source, 'markdown');
  data.metadata = change.cell.metadata;
  return change.kind === 'replace'
    ? vscode.NotebookEdit.replaceCells(new vscode.NotebookRange(change.index, change.index + 1), [data])
    : vscode.NotebookEdit.insertCells(change.index, [data]);
}

/** Applies record cell edits to a notebook in one workspace edit. */
export async function applyRecordEdits(notebook: vscode.NotebookDocument, edits: vscode.NotebookEdit[]): Promise<void> {
  if (edits.length === 0) return;
  const workspaceEdit = new vscode.WorkspaceEdit();
  workspaceEdit.set(notebook.uri, edits);
  await vscode.workspace.applyEdit(workspaceEdit);
}
