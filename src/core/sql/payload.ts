import type { RoleSource } from '../connections/model';
import type { StatementResult } from './client';
import { cutCellFinder, type CutCell } from './cutValue';
import type { SqlErrorFields } from './errors';

/** Who ran what where and when: kept with every output so the saved notebook is an incident record. */
export interface Provenance {
  connection: string;
  role?: string;
  /** How the role was known: declared in the profile, found on the servers, or listed by the HA manager. */
  roleSource?: RoleSource;
  /** The node that answered, when another server than the connection's own (a proxy's backend). */
  answeredBy?: string;
  host: string;
  port: number;
  database: string;
  user: string;
  serverVersion?: string;
  inRecovery?: boolean;
  walLsn?: string | null;
  backendPid?: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  rowCount: number;
  osUser: string;
  readOnly: boolean;
}

export interface TargetRun {
  connection: string;
  role?: string;
  provenance: Provenance;
  statements?: StatementResult[];
  error?: SqlErrorFields;
}

export interface Comparison {
  agree: boolean;
  summary: string;
  /**
   * Per connection, the indices of stored rows (last statement) that mark where it departs: when most
   * connections agree, the rows of the odd ones out that the majority does not have (the majority's none);
   * without a majority, the rows not found on every other connection.
   */
  differingRows: Record<string, number[]>;
  /** The connections whose result differs from the one a strict majority returned (absent without one). */
  odd?: string[];
}

/** The `application/vnd.cnbook.result+json` payload of one SQL cell run. */
export interface ResultPayload {
  version: 1;
  results: TargetRun[];
  comparison?: Comparison;
}

/** Marks what differs between connections that ran the same cell (compared on their last statement). */
export function compareRuns(runs: TargetRun[]): Comparison | undefined {
  const finished = runs.filter((r) => r.statements && r.statements.length > 0);
  if (runs.length < 2) return undefined;
  const last = (r: TargetRun) => r.statements?.[r.statements.length - 1];
  const resultOf = (r: TargetRun) => `${JSON.stringify(last(r)?.columns.map((c) => c.name))}|${last(r)?.hash}`;
  const majority = majorityOf(finished.map(resultOf));
  const rowSets = finished.map((r) => new Set(rowKeys(last(r))));
  const reference = majority === undefined ? undefined : rowSets[finished.findIndex((r) => resultOf(r) === majority)];
  const differingRows: Record<string, number[]> = {};
  finished.forEach((run, i) => {
    // Against the majority's rows when there is one; else against every other connection's.
    const departs = (key: string) =>
      reference ? resultOf(run) !== majority && !reference.has(key) : rowSets.some((s, j) => j !== i && !s.has(key));
    differingRows[run.connection] = rowKeys(last(run))
      .map((key, index) => ({ key, index }))
      .filter(({ key }) => departs(key))
      .map(({ index }) => index);
  });
  const hashes = new Set(finished.map(resultOf));
  const failed = runs.length - finished.length;
  const agree = failed === 0 && hashes.size === 1;
  const odd =
    majority === undefined || hashes.size === 1 ? undefined : finished.filter((r) => resultOf(r) !== majority);
  const summary = agree ? `all ${runs.length} connections returned identical results` : disagreement();
  return { agree, summary, differingRows, ...(odd ? { odd: odd.map((r) => r.connection) } : {}) };

  function disagreement(): string {
    const differing = Object.entries(differingRows).filter(([, rows]) => rows.length > 0);
    const rows = (n: number) => `${n} row${n === 1 ? '' : 's'}`;
    const where = odd ? 'not on the majority' : 'not on every other connection';
    return [
      odd
        ? `${odd.map((r) => r.connection).join(', ')} differ${odd.length === 1 ? 's' : ''} from the other ` +
          `${finished.length - odd.length} connections, which agree`
        : hashes.size > 1
          ? `results differ across ${finished.length} connections`
          : '',
      ...differing.map(([name, indices]) => `${name}: ${rows(indices.length)} ${where}`),
      failed > 0 ? `${failed} connection${failed === 1 ? '' : 's'} failed` : '',
    ]
      .filter(Boolean)
      .join('; ');
  }
}

/** The value more than half of `values` hold, if one does: the majority an odd one out departs from. */
export function majorityOf<T>(values: readonly T[]): T | undefined {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  for (const [value, count] of counts) if (count * 2 > values.length) return value;
  return undefined;
}

/** What identifies each stored row: its values, and for a cut value its full hash (two cut the same may differ). */
function rowKeys(statement: StatementResult | undefined): string[] {
  const cutAt = cutCellFinder(statement?.cutCells);
  return (statement?.rows ?? []).map((row, r) => {
    const cuts = row.map((_, c) => cutAt(r, c)?.sha256 ?? null);
    return JSON.stringify(cuts.some((cut) => cut !== null) ? [row, cuts] : row);
  });
}

/** A value a cell's result holds cut, named for a person: where it ran, which statement, row and column. */
export interface CutValue extends CutCell {
  connection: string;
  /** 0-based index of the statement in the cell. */
  statement: number;
  columnName: string;
}

/** Every cut value of a cell's runs, in the order they ran. */
export function cutValuesOf(runs: readonly TargetRun[]): CutValue[] {
  return runs.flatMap((run) =>
    (run.statements ?? []).flatMap((statement, index) =>
      (statement.cutCells ?? []).map((cut) => ({
        connection: run.connection,
        statement: index,
        columnName: statement.columns[cut.column]?.name ?? '',
        ...cut,
      })),
    ),
  );
}
