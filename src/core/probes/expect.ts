import type { Expectation } from '../sql/annotations';
import type { TargetRun } from '../sql/payload';
import type { Finding } from './types';

const COMPARE = {
  '=': (a: number, b: number) => a === b,
  '!=': (a: number, b: number) => a !== b,
  '<': (a: number, b: number) => a < b,
  '>': (a: number, b: number) => a > b,
  '<=': (a: number, b: number) => a <= b,
  '>=': (a: number, b: number) => a >= b,
};

/** Turns a SQL cell's `-- @expect` into findings, one per connection, with the offending rows as evidence. */
export function expectationFindings(expect: Expectation, runs: TargetRun[], cellLabel: string): Finding[] {
  return runs.map((run): Finding => {
    const target = run.connection;
    const result = run.statements?.[run.statements.length - 1];
    if (run.error || !result)
      return {
        probe: 'sql-check',
        target,
        severity: 'unknown',
        summary: `${cellLabel}: the query failed: ${run.error?.message ?? 'no result'}`,
        metrics: {},
      };
    const rows = result.rows
      .slice(0, 20)
      .map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]])));
    if (expect.kind === 'empty') {
      return outcome(
        target,
        result.rowCount === 0,
        `${cellLabel}: expected no rows, got ${result.rowCount}`,
        `${cellLabel}: no rows, as expected`,
        { rows: result.rowCount },
        rows,
      );
    }
    if (expect.kind === 'rows') {
      const ok = COMPARE[expect.op](result.rowCount, expect.value);
      return outcome(
        target,
        ok,
        `${cellLabel}: expected rows ${expect.op} ${expect.value}, got ${result.rowCount}`,
        `${cellLabel}: rows ${expect.op} ${expect.value} (${result.rowCount})`,
        { rows: result.rowCount },
        rows,
      );
    }
    const raw = result.rows[0]?.[0];
    const value = raw === null || raw === undefined ? NaN : Number(raw);
    if (Number.isNaN(value))
      return {
        probe: 'sql-check',
        target,
        severity: 'unknown',
        summary: `${cellLabel}: expected a number in the first column of the first row, got ${raw === undefined ? 'no row' : raw === null ? 'NULL' : `'${raw}'`}`,
        metrics: {},
      };
    const ok = COMPARE[expect.op](value, expect.value);
    return outcome(
      target,
      ok,
      `${cellLabel}: expected value ${expect.op} ${expect.value}, got ${value}`,
      `${cellLabel}: value ${value} ${expect.op} ${expect.value}`,
      { value },
      rows,
    );
  });
}

function outcome(
  target: string,
  ok: boolean,
  failed: string,
  passed: string,
  metrics: Finding['metrics'],
  rows: unknown[],
): Finding {
  return ok
    ? { probe: 'sql-check', target, severity: 'ok', summary: passed, metrics }
    : { probe: 'sql-check', target, severity: 'critical', summary: failed, metrics, evidence: rows };
}
