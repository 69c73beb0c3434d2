import * as vscode from 'vscode';
import { diagnosisRecordChange } from '../core/record/diagnosisCell';
import type { DiagnosisTracker } from './diagnosisTracker';
import { recordCellEdit } from './recordEdits';

/**
 * Saving a runbook writes the diagnosis into it by the core's record rule (the same as `cnbook run`), so the
 * saved file is the incident record; an unchanged conclusion is left alone, so saves stay byte-stable.
 */
export function writeDiagnosisOnSave(tracker: DiagnosisTracker): vscode.Disposable {
  return vscode.workspace.onWillSaveNotebookDocument((event) => {
    if (event.notebook.notebookType !== 'cnbook') return;
    const { diagnosis, hosts } = tracker.current(event.notebook);
    const cells = event.notebook.getCells();
    const edit = recordCellEdit(diagnosisRecordChange(cells, diagnosis, hosts, tracker.hasFindings(event.notebook)));
    if (!edit) return;
    const workspaceEdit = new vscode.WorkspaceEdit();
    workspaceEdit.set(event.notebook.uri, [edit]);
    event.waitUntil(Promise.resolve(workspaceEdit));
  });
}
