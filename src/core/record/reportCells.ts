import { DEFAULT_LIMITS } from '../defaults';
import { ERROR_MIME, RESULT_MIME, type CodeCell, type Notebook } from '../format/model';
import { outputFindings } from '../diagnosis/notebook';
import { lastHeading } from '../run/cellSubject';
import type { ResultPayload, TargetRun } from '../sql/payload';
import type { CellStatus, ImpactWindow, ReportCell, ReportRun, ResultSummary } from './reportModel';

/** Every code cell of the record with what it ran, where, when, and what came back. */
export function reportCells(notebook: Notebook): ReportCell[] {
  let step: string | null = null;
  const cells: ReportCell[] = [];
  notebook.cells.forEach((cell, index) => {
    if (cell.kind === 'markdown') {
      step = lastHeading(cell.source) ?? step;
      return;
    }
    cells.push(reportCell(cell, index, step));
  });
  return cells;
}

function reportCell(cell: CodeCell, index: number, step: string | null): ReportCell {
  const payload = resultPayload(cell);
  const runs = (payload?.results ?? []).map(reportRun);
  const findings = (cell.outputs ?? []).flatMap(outputFindings);
  const error = cellError(cell);
  const startedAt = timeOf(cell.execution?.startTime) ?? earliest(runs.map((r) => r.provenance.startedAt));
  const end = cell.execution?.endTime;
  return {
    number: index + 1,
    language: cell.language,
    source: cell.source,
    step,
    status: cellStatus(cell, runs, error),
    startedAt,
    durationMs:
      cell.execution?.startTime !== undefined && end !== undefined
        ? end - cell.execution.startTime
        : runs.length > 0
          ? Math.max(...runs.map((r) => r.provenance.durationMs))
          : null,
    runs,
    comparison: payload?.comparison ?? null,
    findings,
    error,
  };
}

function cellStatus(cell: CodeCell, runs: ReportRun[], error: string | null): CellStatus {
  const ran = cell.execution?.success !== undefined || (cell.outputs ?? []).length > 0;
  if (!ran) return 'not-run';
  if (runs.some((r) => r.error?.kind === 'cancelled')) return 'cancelled';
  if (error !== null || runs.some((r) => r.error) || cell.execution?.success === false) return 'error';
  return 'ok';
}

function reportRun(run: TargetRun): ReportRun {
  return {
    connection: run.connection,
    role: run.role ?? null,
    provenance: run.provenance,
    error: run.error ?? null,
    result: resultSummary(run),
  };
}

/** The last statement's result (the one a cell is about), its first rows only. */
function resultSummary(run: TargetRun): ResultSummary | null {
  const statements = run.statements ?? [];
  const last = statements[statements.length - 1];
  if (!last) return null;
  const rows = last.rows.slice(0, DEFAULT_LIMITS.reportRowsShown);
  const cutCells = (last.cutCells ?? []).filter((cut) => cut.row < rows.length);
  return {
    ...(cutCells.length > 0 ? { cutCells } : {}),
    command: last.command,
    columns: last.columns.map((c) => c.name),
    columnTypes: last.columns.map((c) => c.type),
    rows,
    rowCount: last.rowCount,
    rowsNotShown: Math.max(0, last.rowCount - rows.length),
    hash: last.hash,
    statements: statements.length,
  };
}

/** The result payload of a SQL cell's output, or undefined when it holds none (or one edited into nonsense). */
export function resultPayload(cell: CodeCell): ResultPayload | undefined {
  for (const output of cell.outputs ?? []) {
    for (const item of output.items) {
      if (item.mime !== RESULT_MIME || item.text === undefined) continue;
      try {
        const parsed = JSON.parse(item.text) as Partial<ResultPayload>;
        if (Array.isArray(parsed.results))
          return { ...parsed, results: parsed.results.filter(isTargetRun) } as ResultPayload;
      } catch {
        // An output that does not parse is not a result: the cell reads as having none.
      }
    }
  }
  return undefined;
}

function isTargetRun(value: unknown): value is TargetRun {
  const run = value as Partial<TargetRun> | null;
  return (
    typeof run === 'object' &&
    run !== null &&
    typeof run.connection === 'string' &&
    typeof run.provenance === 'object' &&
    run.provenance !== null &&
    typeof run.provenance.startedAt === 'string'
  );
}

function cellError(cell: CodeCell): string | null {
  for (const output of cell.outputs ?? []) {
    const item = output.items.find((i) => i.mime === ERROR_MIME && i.text !== undefined);
    if (!item?.text) continue;
    try {
      const parsed = JSON.parse(item.text) as { name?: unknown; message?: unknown };
      return `${typeof parsed.name === 'string' ? `${parsed.name}: ` : ''}${String(parsed.message ?? '')}`;
    } catch {
      return item.text;
    }
  }
  return null;
}

function timeOf(epochMs: number | undefined): string | null {
  return epochMs === undefined || !Number.isFinite(epochMs) ? null : new Date(epochMs).toISOString();
}

function earliest(times: string[]): string | null {
  const valid = times.filter((t) => !Number.isNaN(Date.parse(t))).sort();
  return valid[0] ?? null;
}

/** From the first start to the last end among the cells' executions and their provenance. */
export function impactWindow(notebook: Notebook, cells: readonly ReportCell[]): ImpactWindow | null {
  const times: number[] = [];
  for (const cell of notebook.cells) {
    if (cell.kind !== 'code') continue;
    for (const t of [cell.execution?.startTime, cell.execution?.endTime]) if (t !== undefined) times.push(t);
  }
  for (const run of cells.flatMap((c) => c.runs))
    for (const t of [run.provenance.startedAt, run.provenance.finishedAt]) times.push(Date.parse(t));
  const valid = times.filter((t) => Number.isFinite(t));
  if (valid.length === 0) return null;
  const [start, end] = [Math.min(...valid), Math.max(...valid)];
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString(), durationMs: end - start };
}
