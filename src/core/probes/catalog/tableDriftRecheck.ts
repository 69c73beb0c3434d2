import type { ProbeContext, Row } from '../types';
import type { Target } from '../../sql/targets';
import { quoteQualified, textArrayLiteral } from './sqlNames';
import type { Drift } from './tableDriftScan';

export interface Recheck {
  drift: Drift;
  /** Keys that differed in the scan and agree now. */
  inFlight: string[];
  /** How the target stood: a replica of the source that replayed its position, one that did not in time, or another system. */
  replay: 'caught-up' | 'behind' | 'independent' | 'not-needed';
}

// On a primary the insert position, not the write position: with synchronous_commit = off a commit the
// scan saw can still sit in WAL buffers. (At a page boundary it points past the page header, so a replica
// may only reach it with the next record: the wait then ends at the settle time, and the differences stand.)
const POSITION_SQL = `SELECT pg_is_in_recovery() AS recovery, (SELECT system_identifier::text FROM pg_control_system()) AS system,
  (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END)::text AS lsn`;

/**
 * Rows change while a scan runs, so a difference seen once may be in flight. When the target is a replica
 * of the source's system, wait (up to `settleMs`) until it has replayed the source's position as of now,
 * then read the differing keys again on both sides: what agrees now converged, what still differs is drift.
 */
export async function recheck(
  ctx: ProbeContext,
  source: Target,
  target: Target,
  drift: Drift,
  settleMs: number,
): Promise<Recheck> {
  const kept = [...drift.missing, ...drift.extra, ...drift.changed];
  if (kept.length === 0) return { drift, inFlight: [], replay: 'not-needed' };
  const replay = await waitForReplay(ctx, source, target, settleMs);
  const [now, then] = await Promise.all([rowsByKey(ctx, source, drift, kept), rowsByKey(ctx, target, drift, kept)]);
  const next: Drift = { ...drift, missing: [], extra: [], changed: [], counts: { ...drift.counts } };
  const inFlight: string[] = [];
  for (const [kind, keys] of [
    ['missing', drift.missing],
    ['extra', drift.extra],
    ['changed', drift.changed],
  ] as const) {
    next.counts[kind] -= keys.length;
    for (const key of keys) {
      const s = now.get(key);
      const t = then.get(key);
      const kindNow =
        s === undefined && t === undefined
          ? undefined
          : s === undefined
            ? 'extra'
            : t === undefined
              ? 'missing'
              : s === t
                ? undefined
                : 'changed';
      if (kindNow === undefined) inFlight.push(key);
      else {
        next[kindNow].push(key);
        next.counts[kindNow]++;
      }
    }
  }
  return { drift: next, inFlight, replay };
}

async function waitForReplay(
  ctx: ProbeContext,
  source: Target,
  target: Target,
  settleMs: number,
): Promise<Recheck['replay']> {
  const [[s], [t]] = await Promise.all([ctx.query(source, POSITION_SQL), ctx.query(target, POSITION_SQL)]);
  if (!s || !t || t.recovery !== 't' || s.system !== t.system) return 'independent';
  const deadline = ctx.now() + settleMs;
  for (;;) {
    const [r] = await ctx.query(target, 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [s.lsn]);
    if (r?.done === 't') return 'caught-up';
    if (ctx.now() >= deadline || ctx.signal?.aborted) return 'behind';
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Row hashes of the given keys, by key text. */
async function rowsByKey(
  ctx: ProbeContext,
  side: Target,
  drift: Drift,
  keys: string[],
): Promise<Map<string, string | null>> {
  const key = quoteQualified(drift.key);
  const rows: Row[] = await ctx.query(
    side,
    `SELECT ${key}::text AS k, md5(t::text) AS h FROM ${quoteQualified(drift.table)} t WHERE ${key} = ANY($1::${drift.keyType}[])`,
    [textArrayLiteral(keys)],
  );
  return new Map(rows.map((row) => [row.k ?? '', row.h ?? null]));
}
