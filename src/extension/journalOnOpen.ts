import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { cellLanguage } from './cellLanguage';
import { describeJournaledWrite } from '../core/record/journal';
import { journalFold } from '../core/record/journalFold';
import { findingsOutput } from '../core/probes/render';
import type { Finding } from '../core/probes/types';
import { journalBeside } from '../drivers/recordJournal';
import { toCellOutput } from './notebookData';
import { applyRecordEdits, recordCellEdit } from './recordEdits';

/**
 * Opening a record beside which a killed `cnbook run` left a journal (reconcile batches it committed but
 * never wrote into the record) folds it in by the same core rule as the next `cnbook run`: a timeline entry
 * and the cell's finding, as an edit the user sees and saves; the journal goes once the record is saved.
 */
export function foldJournalsOnOpen(who: () => string, log: vscode.LogOutputChannel): vscode.Disposable {
  const pending = new Map<string, string>();
  const fold = (notebook: vscode.NotebookDocument) =>
    foldJournalOf(notebook, who(), pending).catch((error: unknown) =>
      log.warn(`could not fold the journal of ${notebook.uri.fsPath}: ${(error as Error).message}`),
    );
  vscode.workspace.notebookDocuments.forEach((notebook) => void fold(notebook));
  return vscode.Disposable.from(
    vscode.workspace.onDidOpenNotebookDocument((notebook) => void fold(notebook)),
    vscode.workspace.onDidSaveNotebookDocument((notebook) => {
      const journal = pending.get(notebook.uri.toString());
      if (journal === undefined) return;
      pending.delete(notebook.uri.toString());
      fs.rmSync(journal, { force: true });
    }),
  );
}

async function foldJournalOf(notebook: vscode.NotebookDocument, who: string, pending: Map<string, string>) {
  if (notebook.notebookType !== 'cnbook' || notebook.uri.scheme !== 'file') return;
  if (pending.has(notebook.uri.toString())) return;
  const journal = journalBeside(notebook.uri.fsPath);
  if (!journal || journal.writes.length === 0) return;
  pending.set(notebook.uri.toString(), journal.file);
  const cells = notebook.getCells().map((c) => ({
    metadata: c.metadata,
    ...(c.kind === vscode.NotebookCellKind.Code
      ? { code: { language: cellLanguage(c), source: c.document.getText() } }
      : {}),
  }));
  const fold = journalFold(cells, journal.writes, who);
  // Outputs first (same cells, same indexes), then the timeline, which may add a cell at the end.
  await applyRecordEdits(
    notebook,
    [...fold.findings].map(([index, findings]) => outputEdit(notebook, index, findings)),
  );
  const timeline = recordCellEdit(fold.timeline);
  if (timeline) await applyRecordEdits(notebook, [timeline]);
  const lines = journal.writes.map((w) => `cell ${w.cell + 1}: ${describeJournaledWrite(w)}`);
  void vscode.window.showWarningMessage(
    `A cnbook run was killed while writing, before it wrote this record: ${lines.join('; ')}. ` +
      'Folded into the timeline; save the record to keep it (its journal is removed then).',
  );
}

function outputEdit(notebook: vscode.NotebookDocument, index: number, findings: Finding[]): vscode.NotebookEdit {
  const cell = notebook.cellAt(index);
  const data = new vscode.NotebookCellData(cell.kind, cell.document.getText(), cell.document.languageId);
  data.metadata = cell.metadata;
  data.outputs = [toCellOutput(findingsOutput(findings))];
  if (cell.executionSummary) data.executionSummary = cell.executionSummary;
  return vscode.NotebookEdit.replaceCells(new vscode.NotebookRange(index, index + 1), [data]);
}
