import type { ProbeContext, Row } from '../types';
import type { Target } from '../../sql/targets';
import { compareCodePoints, compareDecimals } from './keyOrder';
import { quoteQualified } from './sqlNames';

const CHUNK = 5000;
/** Differing keys kept (for the recheck and the evidence); the counts stay exact beyond it. */
export const KEPT_KEYS = 10_000;
const NUMERIC_KEYS = new Set(['smallint', 'integer', 'bigint', 'numeric']);

export interface Drift {
  missing: string[];
  extra: string[];
  changed: string[];
  counts: { missing: number; extra: number; changed: number };
  compared: number;
  table: string;
  key: string;
  /** The key column's type as format_type writes it, for casting keys in the recheck. */
  keyType: string;
}

interface Side {
  target: Target;
  rows: Row[];
  done: boolean;
  last: string | null;
}

/** Walks both copies in key order, two chunks in memory at a time, and collects the differing keys. */
export async function scanDrift(
  ctx: ProbeContext,
  source: Target,
  target: Target,
  table: string,
  key: string,
): Promise<Drift> {
  const [type] = await ctx.query(
    source,
    `SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped`,
    [quoteQualified(table), key],
  );
  if (!type?.t) throw new Error(`no column ${key} in ${table}`);
  const numeric = NUMERIC_KEYS.has(type.t.replace(/\(.*\)/, ''));
  const order = numeric ? quoteQualified(key) : `${quoteQualified(key)}::text COLLATE "C"`;
  const sql = `SELECT ${quoteQualified(key)}::text AS k, md5(t::text) AS h FROM ${quoteQualified(table)} t
    WHERE $1::text IS NULL OR ${order} > ${numeric ? `$1::${type.t}` : '$1::text COLLATE "C"'} ORDER BY ${order} LIMIT ${CHUNK}`;
  const fetch = async (side: Side) => {
    if (side.done || side.rows.length > 0) return;
    side.rows = await ctx.query(side.target, sql, [side.last]);
    side.done = side.rows.length < CHUNK;
    side.last = side.rows[side.rows.length - 1]?.k ?? side.last;
  };
  const a: Side = { target: source, rows: [], done: false, last: null };
  const b: Side = { target, rows: [], done: false, last: null };
  const drift: Drift = {
    missing: [],
    extra: [],
    changed: [],
    counts: { missing: 0, extra: 0, changed: 0 },
    compared: 0,
    table,
    key,
    keyType: type.t,
  };
  const cmp = numeric ? compareDecimals : compareCodePoints;
  for (;;) {
    await Promise.all([fetch(a), fetch(b)]);
    const x = a.rows[0];
    const y = b.rows[0];
    if (!x && !y) return drift;
    drift.compared++;
    const c = !x ? 1 : !y ? -1 : cmp(x.k ?? '', y.k ?? '');
    if (c < 0) note(drift, 'missing', a.rows.shift()?.k);
    else if (c > 0) note(drift, 'extra', b.rows.shift()?.k);
    else {
      if (x?.h !== y?.h) note(drift, 'changed', x?.k);
      a.rows.shift();
      b.rows.shift();
    }
    if (ctx.signal?.aborted) throw new Error('cancelled');
  }
}

function note(drift: Drift, kind: 'missing' | 'extra' | 'changed', key: string | null | undefined): void {
  drift.counts[kind]++;
  if (drift.missing.length + drift.extra.length + drift.changed.length < KEPT_KEYS) drift[kind].push(key ?? '');
}
