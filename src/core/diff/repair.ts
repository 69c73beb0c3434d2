import { DEFAULT_LIMITS } from '../defaults';
import { keyComparator } from './differences';
import { rowsOf, type Row } from './rowsOfKeys';
import { readShape, type Column, type TableShape } from './schema';
import { quoteIdent, quoteQualified } from '../probes/catalog/sqlNames';
import type { DiffOptions, DiffResult, DiffSide, KeyValues } from './types';

export interface RepairScript {
  /** SQL that makes the target match the source for the differing keys only, in batches (one transaction each). */
  apply: string;
  /** SQL that puts back what the target held before `apply`. */
  undo: string;
  /** The statements of `apply` and `undo`, batch by batch, to run one transaction per batch. */
  applyBatches: string[][];
  /** The key of each statement of `applyBatches`, batch by batch (what a journal of the repair names). */
  applyBatchKeys: KeyValues[][];
  undoBatches: string[][];
  counts: RepairCounts;
  batches: number;
}

export interface RepairCounts {
  insert: number;
  update: number;
  delete: number;
}

export class RepairError extends Error {}

/** A literal of the server's own text for a value, cast to its column type: quotes doubled, nothing else interpreted. */
export function literal(value: string | null, type: string): string {
  return value === null ? 'NULL' : `'${value.replace(/'/g, "''")}'::${type}`;
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

/** Literals are written for standard_conforming_strings = on: every batch sets it, so no backslash is an escape. */
export const BATCH_SETUP = 'SET LOCAL standard_conforming_strings = on;';

function batchesOf<T>(statements: T[], batchRows: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < statements.length; i += Math.max(1, Math.floor(batchRows)))
    batches.push(statements.slice(i, i + Math.max(1, Math.floor(batchRows))));
  return batches;
}

/** The batches as one script for psql or review: each batch its own transaction with a lock timeout. */
export function scriptOf(batches: string[][], lockTimeoutMs: number): string {
  const parts = batches.map((batch) =>
    [`BEGIN;`, `SET LOCAL lock_timeout = '${Math.round(lockTimeoutMs)}ms';`, BATCH_SETUP, ...batch, 'COMMIT;'].join(
      '\n',
    ),
  );
  return parts.length === 0 ? '' : `${parts.join('\n')}\n`;
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
  batchRows: number = DEFAULT_LIMITS.repairBatchRows,
  lockTimeoutMs: number = DEFAULT_LIMITS.lockTimeoutMs,
): Promise<RepairScript> {
  if (result.keysTruncated)
    throw new RepairError('more keys differ than were kept: narrow the repair with where= first');
  const shape = await readShape(source, target, options);
  const order = keyComparator(shape.keys);
  const sorted = (keys: KeyValues[]) => [...keys].sort(order);
  const { missingInTarget, missingInSource, changed } = result.keys;
  const timeoutMs = options.queryTimeoutMs ?? DEFAULT_LIMITS.diffQueryTimeoutMs;
  const [fromSource, fromTarget] = await Promise.all([
    rowsOf(source, shape, [...missingInTarget, ...changed], timeoutMs),
    rowsOf(target, shape, [...missingInSource, ...changed], timeoutMs),
  ]);
  const get = (rows: Map<string, Row>, key: KeyValues, where: string) => {
    const row = rows.get(JSON.stringify(key));
    if (!row) throw new RepairError(`row ${key.join(', ')} changed on the ${where} since the diff: run the diff again`);
    return row;
  };
  const applyKeys = [...sorted(missingInSource), ...sorted(changed), ...sorted(missingInTarget)];
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
  const applyBatches = batchesOf(apply, batchRows);
  const undoBatches = batchesOf(undo, batchRows);
  return {
    apply: scriptOf(applyBatches, lockTimeoutMs),
    undo: scriptOf(undoBatches, lockTimeoutMs),
    applyBatches,
    applyBatchKeys: batchesOf(applyKeys, batchRows),
    undoBatches,
    counts: { insert: missingInTarget.length, update: changed.length, delete: missingInSource.length },
    batches: applyBatches.length,
  };
}
