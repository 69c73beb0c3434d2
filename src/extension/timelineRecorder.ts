import * as vscode from 'vscode';
import { cellLanguage } from './cellLanguage';
import { cellIdOf } from '../core/format/cellIds';
import { timelineAfterRun, timelineChange } from '../core/record/timeline';
import { escapeMarkdownInline } from '../core/util/escape';
import type { CellRunResult } from './cellRunner';
import type { DiagnosisTracker } from './diagnosisTracker';
import { applyRecordEdits, recordCellEdit } from './recordEdits';

/**
 * Writes the record's timeline as the user works: an entry after every cell run (and one for each change of
 * diagnosis), a note from a `note` cell or the Add Timeline Note command. Same core rules as `cnbook run`.
 */
export class TimelineRecorder {
  constructor(
    private readonly tracker: DiagnosisTracker,
    private readonly who: () => string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async cellRan(cell: vscode.NotebookCell, result: CellRunResult): Promise<void> {
    const notebook = cell.notebook;
    const cellId = cellIdOf(cell);
    const run = {
      index: cell.index,
      ...(cellId ? { cellId } : {}),
      language: cellLanguage(cell),
      source: cell.document.getText(),
      status: result.status,
      connections: result.connections,
      findings: result.findings,
      at: new Date().toISOString(),
      who: this.who(),
    };
    // The cell's outputs may not have reached the document yet: diagnose with the findings of this run.
    const diagnosis = this.tracker.diagnoseWith(notebook, cell.index, result.keptFindings ?? result.findings);
    await this.apply(notebook, timelineAfterRun(notebook.getCells(), run, diagnosis));
  }

  async addNote(notebook: vscode.NotebookDocument, text: string): Promise<void> {
    const entry = { kind: 'note' as const, at: new Date().toISOString(), who: this.who(), text: text.trim() };
    await this.apply(notebook, timelineChange(notebook.getCells(), [entry]));
  }

  /** Running a `note` cell stamps its text into the timeline. */
  async noteCell(cell: vscode.NotebookCell): Promise<CellRunResult> {
    const text = cell.document.getText();
    if (!text.trim()) return this.noted('Nothing to note: write the note in the cell, then run it.', false);
    await this.addNote(cell.notebook, text);
    const at = new Date().toISOString().slice(11, 16);
    return this.noted(`🗒️ Noted in the timeline at ${at} UTC by ${escapeMarkdownInline(this.who())}.`, true);
  }

  private noted(markdown: string, success: boolean): CellRunResult {
    const outputs = [{ items: [{ mime: 'text/markdown', text: markdown }] }];
    return { outputs, success, status: success ? 'ok' : 'error', findings: [], connections: [] };
  }

  /** A timeline that cannot be written is logged, never a reason for a runbook's run to stop. */
  private async apply(notebook: vscode.NotebookDocument, change: Parameters<typeof recordCellEdit>[0]) {
    const edit = recordCellEdit(change);
    if (!edit) return;
    try {
      await applyRecordEdits(notebook, [edit]);
    } catch (error) {
      this.log.warn(`could not write the timeline of ${notebook.uri.fsPath}: ${(error as Error).message}`);
    }
  }
}

/** cnbook: Add Timeline Note, for the active runbook; a caller (a test, a keybinding) may give the text. */
export async function addTimelineNote(recorder: TimelineRecorder, given?: string): Promise<void> {
  const notebook = vscode.window.activeNotebookEditor?.notebook;
  if (notebook?.notebookType !== 'cnbook') {
    void vscode.window.showInformationMessage('Open a cnbook runbook first: the note goes into its timeline.');
    return;
  }
  const text =
    given ??
    (await vscode.window.showInputBox({
      title: 'Timeline note',
      prompt: 'What happened or what was decided (it is stamped with the time and your name)',
      validateInput: (value) => (value.trim() ? undefined : 'Write the note'),
    }));
  if (text?.trim()) await recorder.addNote(notebook, text);
}
