import * as vscode from 'vscode';
import { diagnosisCell, isDiagnosisCell, sameConclusion } from '../core/record/diagnosisCell';
import type { DiagnosisTracker } from './diagnosisTracker';

/**
 * Saving a runbook with findings writes the diagnosis into it (words, metadata and a mermaid chart), so the
 * saved file is the incident record. An unchanged conclusion is left alone, so saves stay byte-stable.
 */
export function writeDiagnosisOnSave(tracker: DiagnosisTracker): vscode.Disposable {
  return vscode.workspace.onWillSaveNotebookDocument((event) => {
    if (event.notebook.notebookType !== 'cnbook' || tracker.findings(event.notebook).length === 0) return;
    const { diagnosis, hosts } = tracker.diagnosis(event.notebook);
    const existing = event.notebook.getCells().find((c) => isDiagnosisCell(c.metadata));
    if (existing && sameConclusion(existing.metadata.diagnosis, diagnosis)) return;
    const cell = diagnosisCell(diagnosis, hosts);
    const data = new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, cell.source, 'markdown');
    data.metadata = cell.metadata;
    const edit = existing
      ? vscode.NotebookEdit.replaceCells(new vscode.NotebookRange(existing.index, existing.index + 1), [data])
      : vscode.NotebookEdit.insertCells(event.notebook.cellCount, [data]);
    const workspaceEdit = new vscode.WorkspaceEdit();
    workspaceEdit.set(event.notebook.uri, [edit]);
    event.waitUntil(Promise.resolve(workspaceEdit));
  });
}
