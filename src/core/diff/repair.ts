import { keyComparator } from './differences';
import { rowsOfKeysQuery, SETUP } from './queries';
import { readShape, type Column, type TableShape } from './schema';
import { quoteIdent, quoteQualified } from './sqlText';
import type { DiffOptions, DiffResult, DiffSide, KeyValues } from './types';

export interface RepairScript {
  /** SQL that makes the target match the source for the differing keys only, in batches (one transaction each). */
  apply: string;
  /** SQL that puts back what the target held before `apply`. */
  undo: string;
  counts: { insert: number; update: number; delete: number };
  batches: number;
}

export class RepairError extends Error {}

type Row = (string | null)[];
const FETCH = 1000;

/** A literal of the server's own text for a value, cast to its column type: quotes doubled, nothing else interpreted. */
export function literal(value: string | null, type: string): string {
  return value === null ? 'NULL' : `'${value.replace(/'/g, "''")}'::${type}`;
}

async function rowsOf(
  side: DiffSide,
  shape: TableShape,
  keys: KeyValues[],
  timeoutMs: number,
): Promise<Map<string, Row>> {
  const rows = new Map<string, Row>();
  const n = shape.keys.length;
  for (let i = 0; i < keys.length; i += FETCH) {
    const query = rowsOfKeysQuery(shape, keys.slice(i, i + FETCH));
    for (const r of await side.query(query.text, query.values, { timeoutMs, setup: SETUP }))
      rows.set(JSON.stringify(r.slice(0, n)), r.slice(n));
  }
  return rows;
}

function keyCondition(shape: TableShape, row: Row): string {
  return shape.keys
    .map((k) => `${quoteIdent(k.name)} = ${literal(row[shape.columns.indexOf(k)] ?? null, k.type)}`)
    .join(' AND ');
}

function insertSql(shape: TableShape, row: Row): string {
  const columns = shape.columns.map((c) => quoteIdent(c.name)).join(', ');
  const values = shape.columns.map((c: Column, i) => literal(row[i] ?? null, c.type)).join(', ');
  return `INSERT INTO ${quoteQualified(shape.table)} (${columns}) VALUES (${values});`;
}

function updateSql(shape: TableShape, row: Row): string {
  const sets = shape.columns
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => !shape.keys.includes(c))
    .map(({ c, i }) => `${quoteIdent(c.name)} = ${literal(row[i] ?? null, c.type)}`);
  return `UPDATE ${quoteQualified(shape.table)} SET ${sets.join(', ')} WHERE ${keyCondition(shape, row)};`;
}

function deleteSql(shape: TableShape, row: Row): string {
  return `DELETE FROM ${quoteQualified(shape.table)} WHERE ${keyCondition(shape, row)};`;
}

function batched(statements: string[], batchRows: number, lockTimeoutMs: number): { sql: string; batches: number } {
  const parts = ['SET standard_conforming_strings = on;'];
  let batches = 0;
  for (let i = 0; i < statements.length; i += batchRows) {
    parts.push(
      `BEGIN;\nSET LOCAL lock_timeout = '${Math.round(lockTimeoutMs)}ms';`,
      ...statements.slice(i, i + batchRows),
      'COMMIT;',
    );
    batches++;
  }
  return { sql: `${parts.join('\n')}\n`, batches };
}

/**
 * The repair of a diff: for the keys that differ (not those in flight), in key order and in batches,
 * the statements that make the target hold the source's rows, and the statements that undo them.
 */
export async function buildRepair(
  source: DiffSide,
  target: DiffSide,
  options: DiffOptions,
  result: DiffResult,
  batchRows = 500,
  lockTimeoutMs = 5000,
): Promise<RepairScript> {
  if (result.keysTruncated)
    throw new RepairError('more keys differ than were kept: narrow the repair with where= first');
  const shape = await readShape(source, target, options);
  const order = keyComparator(shape.keys);
  const sorted = (keys: KeyValues[]) => [...keys].sort(order);
  const { missingInTarget, missingInSource, changed } = result.keys;
  const timeoutMs = options.queryTimeoutMs ?? 5000;
  const [fromSource, fromTarget] = await Promise.all([
    rowsOf(source, shape, [...missingInTarget, ...changed], timeoutMs),
    rowsOf(target, shape, [...missingInSource, ...changed], timeoutMs),
  ]);
  const get = (rows: Map<string, Row>, key: KeyValues, where: string) => {
    const row = rows.get(JSON.stringify(key));
    if (!row) throw new RepairError(`row ${key.join(', ')} changed on the ${where} since the diff: run the diff again`);
    return row;
  };
  const apply = [
    ...sorted(missingInSource).map((k) => deleteSql(shape, get(fromTarget, k, 'target'))),
    ...sorted(changed).map((k) => updateSql(shape, get(fromSource, k, 'source'))),
    ...sorted(missingInTarget).map((k) => insertSql(shape, get(fromSource, k, 'source'))),
  ];
  const undo = [
    ...sorted(missingInTarget).map((k) => deleteSql(shape, get(fromSource, k, 'source'))),
    ...sorted(changed).map((k) => updateSql(shape, get(fromTarget, k, 'target'))),
    ...sorted(missingInSource).map((k) => insertSql(shape, get(fromTarget, k, 'target'))),
  ];
  const applied = batched(apply, batchRows, lockTimeoutMs);
  return {
    apply: applied.sql,
    undo: batched(undo, batchRows, lockTimeoutMs).sql,
    counts: { insert: missingInTarget.length, update: changed.length, delete: missingInSource.length },
    batches: applied.batches,
  };
}
