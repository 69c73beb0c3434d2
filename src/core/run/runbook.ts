import type { CodeCell, Notebook } from '../format/model';
import { describeSqlError } from '../sql/errors';
import { CellInputError, executeSqlCell, SqlCellOptions } from '../sql/execute';
import { errorOutput, resultOutput } from '../sql/outputs';

export type CellStatus = 'ok' | 'error' | 'skipped' | 'cancelled';

export interface CellReport {
  index: number;
  language: string;
  status: CellStatus;
  durationMs: number;
  error?: string;
}

export interface RunbookRunOptions extends SqlCellOptions {
  onCellStart?(index: number): void;
  onCellEnd?(report: CellReport): void;
}

/**
 * Runs the code cells in order, filling their outputs in place; stops at the first failed or cancelled
 * cell and marks the rest skipped. Returns a report per code cell.
 */
export async function runRunbook(notebook: Notebook, options: RunbookRunOptions): Promise<CellReport[]> {
  const reports: CellReport[] = [];
  let stopped = false;
  let order = 0;
  for (const [index, cell] of notebook.cells.entries()) {
    if (cell.kind !== 'code') continue;
    if (stopped || options.signal?.aborted) {
      const report: CellReport = { index, language: cell.language, status: 'skipped', durationMs: 0 };
      reports.push(report);
      options.onCellEnd?.(report);
      continue;
    }
    options.onCellStart?.(index);
    const report = await runCell(cell, index, ++order, options);
    reports.push(report);
    options.onCellEnd?.(report);
    stopped = report.status !== 'ok';
  }
  return reports;
}

async function runCell(cell: CodeCell, index: number, executionOrder: number, options: SqlCellOptions): Promise<CellReport> {
  const start = Date.now();
  const report: CellReport = { index, language: cell.language, status: 'ok', durationMs: 0 };
  try {
    if (cell.language !== 'sql') {
      throw new CellInputError(`cells of language '${cell.language}' cannot run yet in this version of cnbook`);
    }
    const run = await executeSqlCell(cell.source, options);
    cell.outputs = [resultOutput(run.payload)];
    const failure = run.payload.results.find((r) => r.error)?.error;
    if (failure) {
      report.status = failure.kind === 'cancelled' ? 'cancelled' : 'error';
      report.error = `${run.payload.results.find((r) => r.error)?.connection}: ${describeSqlError(failure)}`;
    }
  } catch (error) {
    const name = error instanceof CellInputError ? 'Cell error' : 'Internal error';
    cell.outputs = [errorOutput(name, (error as Error).message)];
    report.status = 'error';
    report.error = (error as Error).message;
  }
  const end = Date.now();
  report.durationMs = end - start;
  cell.execution = { executionOrder, success: report.status === 'ok', startTime: start, endTime: end };
  return report;
}
