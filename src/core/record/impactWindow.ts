import { outputFindings } from '../diagnosis/notebook';
import type { Notebook } from '../format/model';
import type { ImpactWindow } from './reportModel';
import { resultPayload } from './reportCells';

const TIME_TYPES = new Set(['timestamptz', 'timestamp', 'date']);

/**
 * When the incident touched the data, from the evidence itself: the first and last timestamp among the rows a
 * failed `-- @expect` check returned (their timestamptz, timestamp or date columns, by the columns' types).
 * Null when the evidence has no times: the report then leaves the window out rather than show the run's own
 * duration, which says when someone looked, not when the data went wrong.
 */
export function evidenceWindow(notebook: Notebook): ImpactWindow | null {
  const times: number[] = [];
  for (const cell of notebook.cells) {
    if (cell.kind !== 'code') continue;
    const failedOn = new Set(
      (cell.outputs ?? [])
        .flatMap(outputFindings)
        .filter((f) => f.probe === 'sql-check' && (f.severity === 'critical' || f.severity === 'warning'))
        .map((f) => f.target),
    );
    if (failedOn.size === 0) continue;
    for (const run of resultPayload(cell)?.results ?? []) {
      const last = run.statements?.at(-1);
      if (!failedOn.has(run.connection) || !last) continue;
      last.columns.forEach((column, c) => {
        if (!TIME_TYPES.has(column.type)) return;
        for (const row of last.rows) times.push(pgTimeMs(row[c] ?? null));
      });
    }
  }
  const valid = times.filter(Number.isFinite);
  if (valid.length === 0) return null;
  const [start, end] = [Math.min(...valid), Math.max(...valid)];
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString(), durationMs: end - start };
}

/**
 * A value as cnbook's sessions print it (DateStyle ISO, TimeZone UTC): `2026-01-01 00:07:00+00`, a timestamp
 * without zone (read as UTC, the session's zone) or a date; NaN for NULL, infinity and anything else.
 */
function pgTimeMs(value: string | null): number {
  const match =
    value === null ? null : /^(\d{4}-\d\d-\d\d)(?: (\d\d:\d\d:\d\d(?:\.\d+)?))?([+-]\d\d(?::?\d\d)?)?$/.exec(value);
  if (!match) return NaN;
  const [, day, time = '00:00:00', zone = '+00'] = match;
  const offset = zone.length === 3 ? `${zone}:00` : zone.replace(/^([+-]\d\d)(\d\d)$/, '$1:$2');
  return Date.parse(`${day}T${time}${offset}`);
}
