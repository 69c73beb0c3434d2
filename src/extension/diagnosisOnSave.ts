import * as vscode from 'vscode';
import { diagnosisRecordChange } from '../core/record/diagnosisCell';
import { timelineRenumbered } from '../core/record/timeline';
import type { DiagnosisTracker } from './diagnosisTracker';
import { recordCellEdit } from './recordEdits';

/**
 * Saving a runbook writes the diagnosis into it by the core's record rule (the same as `cnbook run`), so the
 * saved file is the incident record; an unchanged conclusion is left alone, so saves stay byte-stable. The
 * timeline's "cell N" is drawn again from where each entry's cell stands now when cells moved.
 */
export function writeDiagnosisOnSave(tracker: DiagnosisTracker): vscode.Disposable {
  return vscode.workspace.onWillSaveNotebookDocument((event) => {
    if (event.notebook.notebookType !== 'cnbook') return;
    const { diagnosis, hosts } = tracker.current(event.notebook);
    const cells = event.notebook.getCells();
    const edit = recordCellEdit(diagnosisRecordChange(cells, diagnosis, hosts, tracker.hasFindings(event.notebook)));
    const workspaceEdit = new vscode.WorkspaceEdit();
    if (edit) workspaceEdit.set(event.notebook.uri, [edit]);
    const renumbered = renumberedTimeline(cells);
    // A text edit of the timeline cell's own document: it holds whatever cell the diagnosis edit inserts.
    if (renumbered) workspaceEdit.replace(renumbered.uri, renumbered.range, renumbered.text);
    if (edit || renumbered) event.waitUntil(Promise.resolve(workspaceEdit));
  });
}

function renumberedTimeline(cells: vscode.NotebookCell[]) {
  const shapes = cells.map((cell) => ({ metadata: cell.metadata, source: cell.document.getText() }));
  const change = timelineRenumbered(shapes);
  if (change.kind !== 'replace') return undefined;
  const document = cells[change.index]!.document;
  const range = new vscode.Range(0, 0, document.lineCount, 0);
  return { uri: document.uri, range, text: change.cell.source };
}
