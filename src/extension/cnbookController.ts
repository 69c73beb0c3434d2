import * as vscode from 'vscode';
import { cellSubject, type NamedCell } from '../core/run/cellSubject';
import { runSummary } from '../core/run/statusWords';
import { cellLanguage, SQL_CELL_LANGUAGE } from './cellLanguage';
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
  /** Per notebook, as in Jupyter: a new incident starts at [1], a reopened record goes on from its last. */
  private readonly executionOrders = new WeakMap<vscode.NotebookDocument, number>();

  constructor(
    private readonly runner: CellRunner,
    private readonly findings: CellFindings,
    private readonly timeline: TimelineRecorder,
  ) {
    this.controller = vscode.notebooks.createNotebookController(CnbookController.id, 'cnbook', 'PostgreSQL (cnbook)');
    // The first is what + Code makes in an empty notebook; NewCellLanguage keeps it SQL elsewhere too.
    this.controller.supportedLanguages = [SQL_CELL_LANGUAGE, 'cnprobe', 'note'];
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
    const ran: CellRunResult[] = [];
    for (const cell of cells) {
      // A runbook is a sequence: after a failed or cancelled step, the later ones must not run.
      if (!(await this.executeCell(cell, notebook, ran))) break;
    }
    // Run All says what it found in the words of `cnbook run`: "7 cells ran: 3 critical, 1 warning".
    if (cells.length > 1 && ran.length > 0) {
      const summary = runSummary(
        ran.map((r) => r.status),
        ran.flatMap((r) => r.findings.map((f) => f.severity)),
      );
      vscode.window.setStatusBarMessage(`cnbook: ${summary}`, 15_000);
    }
  }

  private async executeCell(
    cell: vscode.NotebookCell,
    notebook: vscode.NotebookDocument,
    ran: CellRunResult[] = [],
  ): Promise<boolean> {
    const execution = this.controller.createNotebookCellExecution(cell);
    execution.executionOrder = this.nextExecutionOrder(notebook);
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
    if (result && cell.document.languageId !== 'note') {
      ran.push(result);
      await this.timeline.cellRan(cell, result);
    }
    return success && !abort.signal.aborted;
  }

  private nextExecutionOrder(notebook: vscode.NotebookDocument): number {
    const last =
      this.executionOrders.get(notebook) ??
      Math.max(0, ...notebook.getCells().map((c) => c.executionSummary?.executionOrder ?? 0));
    this.executionOrders.set(notebook, last + 1);
    return last + 1;
  }

  private run(
    cell: vscode.NotebookCell,
    notebook: vscode.NotebookDocument,
    signal: AbortSignal,
  ): Promise<CellRunResult> {
    return this.runner.run({
      source: cell.document.getText(),
      language: cellLanguage(cell),
      frontMatter: (notebook.metadata.frontMatter as JsonObject | undefined) ?? {},
      notebookUri: notebook.uri.toString(),
      cellIndex: cell.index,
      subject: cellSubject(notebook.getCells().map(namedCell), cell.index),
      signal,
    });
  }

  dispose(): void {
    this.controller.dispose();
  }
}

function namedCell(cell: vscode.NotebookCell): NamedCell {
  const kind = cell.kind === vscode.NotebookCellKind.Markup ? 'markdown' : 'code';
  return { kind, source: cell.document.getText() };
}
