import { rowsOfKeysQuery, SETUP } from './queries';
import type { TableShape } from './schema';
import type { DiffSide, KeyValues } from './types';

/** The compared columns of a row as the server's text, in the shape's column order. */
export type Row = (string | null)[];

const FETCH = 1000;

/** The rows of the given keys on one side, by the key's JSON, a thousand keys a query. */
export async function rowsOf(
  side: DiffSide,
  shape: TableShape,
  keys: readonly KeyValues[],
  timeoutMs: number,
): Promise<Map<string, Row>> {
  const rows = new Map<string, Row>();
  const n = shape.keys.length;
  for (let i = 0; i < keys.length; i += FETCH) {
    const query = rowsOfKeysQuery(shape, keys.slice(i, i + FETCH));
    for (const r of await side.query(query.text, query.values, { timeoutMs, settings: SETUP }))
      rows.set(JSON.stringify(r.slice(0, n)), r.slice(n));
  }
  return rows;
}
