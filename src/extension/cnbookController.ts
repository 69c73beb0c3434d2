import * as vscode from 'vscode';
import { FINDINGS_MIME, type JsonObject } from '../core/format/model';
import type { CellFindings } from './cellFindings';
import { ensureCellIds } from './cellIds';
import type { CellRunner, CellRunResult } from './cellRunner';
import type { TimelineRecorder } from './timelineRecorder';
import { fromCellOutput, fromSummary, toCellOutput } from './notebookData';
import { outputFindings } from '../core/diagnosis/notebook';
import { outputsAfterRun } from '../core/run/keptEvidence';

/**
 * Runs `sql` and `cnprobe` cells in order, one at a time, each awaited; a cell's cancel becomes a
 * server-side cancel through its AbortSignal. Nothing runs in an untrusted workspace.
 */
export class CnbookController implements vscode.Disposable {
  static readonly id = 'cnbook-postgres';
  private readonly controller: vscode.NotebookController;
  private executionOrder = 0;

  constructor(
    private readonly runner: CellRunner,
    private readonly findings: CellFindings,
    private readonly timeline: TimelineRecorder,
  ) {
    this.controller = vscode.notebooks.createNotebookController(CnbookController.id, 'cnbook', 'PostgreSQL (cnbook)');
    this.controller.supportedLanguages = ['sql', 'cnprobe', 'note'];
    this.controller.supportsExecutionOrder = true;
    this.controller.description = 'Runs on the active connection profile';
    this.controller.executeHandler = (cells, notebook) => this.executeCells(cells, notebook);
  }

  private async executeCells(cells: vscode.NotebookCell[], notebook: vscode.NotebookDocument): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(
        'cnbook runs nothing in an untrusted workspace. Trust this folder (Manage Workspace Trust) to run runbooks.',
      );
      return;
    }
    await ensureCellIds(notebook);
    for (const cell of cells) {
      // A runbook is a sequence: after a failed or cancelled step, the later ones must not run.
      if (!(await this.executeCell(cell, notebook))) break;
    }
  }

  private async executeCell(cell: vscode.NotebookCell, notebook: vscode.NotebookDocument): Promise<boolean> {
    const execution = this.controller.createNotebookCellExecution(cell);
    execution.executionOrder = ++this.executionOrder;
    execution.start(Date.now());
    const abort = new AbortController();
    const cancel = execution.token.onCancellationRequested(() => abort.abort());
    let success = false;
    let result: CellRunResult | undefined;
    const before = { outputs: cell.outputs.map(fromCellOutput), execution: fromSummary(cell.executionSummary) };
    try {
      await execution.clearOutput();
      result =
        cell.document.languageId === 'note'
          ? await this.timeline.noteCell(cell)
          : await this.run(cell, notebook, abort.signal);
      // The core's rule, as in `cnbook run`: a run that could not execute keeps the earlier evidence.
      const after = outputsAfterRun(before, result, new Date());
      if (after.kept) result = { ...result, keptFindings: after.outputs.flatMap(outputFindings) };
      const outputs = after.outputs.map(toCellOutput);
      const carrier = outputs.flatMap((o) => o.items).find((item) => item.mime === FINDINGS_MIME);
      if (carrier) this.findings.recordRun(cell, carrier.data, result.keptFindings ?? result.findings);
      await execution.replaceOutput(outputs);
      success = result.success;
    } catch (error) {
      await execution.replaceOutput(
        new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error(error as Error)]),
      );
    } finally {
      cancel.dispose();
      execution.end(success, Date.now());
    }
    if (result && cell.document.languageId !== 'note') await this.timeline.cellRan(cell, result);
    return success && !abort.signal.aborted;
  }

  private run(
    cell: vscode.NotebookCell,
    notebook: vscode.NotebookDocument,
    signal: AbortSignal,
  ): Promise<CellRunResult> {
    return this.runner.run({
      source: cell.document.getText(),
      language: cell.document.languageId,
      frontMatter: (notebook.metadata.frontMatter as JsonObject | undefined) ?? {},
      notebookUri: notebook.uri.toString(),
      cellIndex: cell.index,
      signal,
    });
  }

  dispose(): void {
    this.controller.dispose();
  }
}
