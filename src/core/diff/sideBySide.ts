import { DEFAULT_LIMITS } from '../defaults';
import { rowsOf } from './rowsOfKeys';
import { readShape } from './schema';
import type { DiffOptions, DiffSide, KeyValues } from './types';

/** One compared column of a changed row on both sides, as each server's text (NULL as null). */
export interface ColumnPair {
  name: string;
  source: string | null;
  target: string | null;
  differs: boolean;
}

/** A changed row side by side: its key and its non-key columns, the differing ones marked. */
export interface ChangedRow {
  key: KeyValues;
  columns: ColumnPair[];
}

/**
 * The current values of a few changed rows on both sides, read again (read-only) for the evidence. A row
 * that no longer exists on one side shows null there; one that agrees now shows no column differing.
 */
export async function changedRows(
  source: DiffSide,
  target: DiffSide,
  options: DiffOptions,
  keys: readonly KeyValues[],
): Promise<ChangedRow[]> {
  if (keys.length === 0) return [];
  const shape = await readShape(source, target, options);
  const timeoutMs = options.queryTimeoutMs ?? DEFAULT_LIMITS.diffQueryTimeoutMs;
  const [a, b] = await Promise.all([rowsOf(source, shape, keys, timeoutMs), rowsOf(target, shape, keys, timeoutMs)]);
  return keys.map((key) => {
    const id = JSON.stringify(key);
    const [x, y] = [a.get(id), b.get(id)];
    const columns = shape.columns
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => !shape.keys.includes(c))
      .map(({ c, i }) => {
        const [s, t] = [x?.[i] ?? null, y?.[i] ?? null];
        return { name: c.name, source: s, target: t, differs: s !== t };
      });
    return { key, columns };
  });
}
