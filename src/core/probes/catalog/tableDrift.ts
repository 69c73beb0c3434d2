import type { Finding, ProbeContext, ProbeDefinition, Row } from '../types';
import type { Target } from '../../sql/targets';
import { unknownBecause } from '../context';
import { quoteQualified } from './sqlNames';

const CHUNK = 5000;
const NUMERIC_KEYS = new Set(['smallint', 'integer', 'bigint', 'numeric']);

interface Side { target: Target; rows: Row[]; done: boolean; last: string | null }
interface Drift { missing: string[]; extra: string[]; changed: string[]; compared: number }

/**
 * Compares a table on two connections row by row, walking both in key order a chunk at a time, and names
 * the keys missing on the target, extra on the target, and different. Memory stays at two chunks.
 */
export const tableDriftProbe: ProbeDefinition = {
  name: 'table-drift',
  summary: 'keys missing, extra or different between two copies of a table',
  params: {
    table: { type: 'identifier', doc: 'the table to compare', required: true },
    key: { type: 'string', doc: 'its key column', required: true },
    source: { type: 'roles', doc: 'the authoritative copy', default: 'primary' },
    target: { type: 'roles', doc: 'the copy checked against it', required: true },
    sample: { type: 'number', doc: 'keys of each kind shown as evidence', default: '10' },
  },
  async run(args, ctx) {
    const [source] = ctx.targets(args.source as string[]);
    const [target] = ctx.targets(args.target as string[]);
    if (!source || !target) return [];
    const name = `${source.connection.name} → ${target.connection.name}: ${args.table as string}`;
    try {
      const drift = await compare(ctx, source, target, args.table as string, args.key as string);
      return [driftFinding(name, drift, Math.max(1, Math.floor(args.sample as number)))];
    } catch (error) {
      return [unknownBecause('table-drift', name, error)];
    }
  },
};

async function compare(ctx: ProbeContext, source: Target, target: Target, table: string, key: string): Promise<Drift> {
  const [type] = await ctx.query(source, `SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2`, [quoteQualified(table), key]);
  if (!type) throw new Error(`no column ${key} in ${table}`);
  const numeric = NUMERIC_KEYS.has((type.t ?? '').replace(/\(.*\)/, ''));
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
  const b: Side = { target: target, rows: [], done: false, last: null };
  const drift: Drift = { missing: [], extra: [], changed: [], compared: 0 };
  const cmp = (x: string, y: string) => (numeric ? compareNumbers(x, y) : x < y ? -1 : x > y ? 1 : 0);
  for (;;) {
    await Promise.all([fetch(a), fetch(b)]);
    const x = a.rows[0];
    const y = b.rows[0];
    if (!x && !y) return drift;
    drift.compared++;
    const c = !x ? 1 : !y ? -1 : cmp(x.k ?? '', y.k ?? '');
    if (c < 0) drift.missing.push(a.rows.shift()?.k ?? '');
    else if (c > 0) drift.extra.push(b.rows.shift()?.k ?? '');
    else {
      if (x?.h !== y?.h) drift.changed.push(x?.k ?? '');
      a.rows.shift();
      b.rows.shift();
    }
    if (ctx.signal?.aborted) throw new Error('cancelled');
  }
}

/** Compares numeric keys as PostgreSQL orders them: exactly for integers (bigint included). */
function compareNumbers(x: string, y: string): number {
  if (!x.includes('.') && !y.includes('.')) {
    const d = BigInt(x) - BigInt(y);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  }
  return Math.sign(Number(x) - Number(y));
}

function driftFinding(name: string, drift: Drift, sample: number): Finding {
  const total = drift.missing.length + drift.extra.length + drift.changed.length;
  return {
    probe: 'table-drift', target: name, severity: total > 0 ? 'critical' : 'ok',
    summary: total === 0 ? `identical (${drift.compared} keys compared)` : `${drift.missing.length} missing on the target, ${drift.extra.length} extra, ${drift.changed.length} different`,
    metrics: { missing: drift.missing.length, extra: drift.extra.length, different: drift.changed.length, keysCompared: drift.compared },
    evidence: { missing: drift.missing.slice(0, sample), extra: drift.extra.slice(0, sample), different: drift.changed.slice(0, sample) },
  };
}
