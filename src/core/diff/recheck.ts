import { hashesOfKeysQuery, SETUP } from './queries';
import { both, checkCancelled, type DiffRun } from './run';
import type { KeyValues } from './types';

export type ReplayState = 'caught-up' | 'behind' | 'independent' | 'not-needed';

export interface Rechecked {
  missingInTarget: KeyValues[];
  missingInSource: KeyValues[];
  changed: KeyValues[];
  /** Keys that differed in the scan and agree now: rows in flight, not drift. */
  inFlight: KeyValues[];
  replay: ReplayState;
}

const BATCH = 1000;
const ROUNDS = 3;
// On a primary the insert position, not the write position: with synchronous_commit = off a commit the
// scan saw can still sit in WAL buffers.
const POSITION_SQL = `SELECT pg_is_in_recovery()::text, (SELECT system_identifier::text FROM pg_control_system()),
  (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END)::text`;

/**
 * Rows change while a scan runs, so a difference seen once may be in flight. When the target replays the
 * source's system, wait (up to `settleMs`) until it has replayed the source's position as of now, then read
 * the differing keys again on both sides: what agrees now converged, what still differs is drift.
 */
export async function recheck(
  run: DiffRun,
  found: { missingInTarget: KeyValues[]; missingInSource: KeyValues[]; changed: KeyValues[] },
  settleMs: number,
): Promise<Rechecked> {
  let pending = [...found.missingInTarget, ...found.missingInSource, ...found.changed];
  if (pending.length === 0) return { ...found, inFlight: [], replay: 'not-needed' };
  const inFlight: KeyValues[] = [];
  let last: { rechecked: Rechecked; replay: ReplayState } | undefined;
  // Rows the source changes again between its read and the target's may differ once more: a few rounds.
  for (let round = 0; round < ROUNDS && pending.length > 0; round++) {
    const rechecked = await recheckOnce(run, pending, settleMs);
    inFlight.push(...rechecked.inFlight);
    last = { rechecked, replay: rechecked.replay };
    pending = [...rechecked.missingInTarget, ...rechecked.missingInSource, ...rechecked.changed];
    if (rechecked.replay !== 'caught-up') break;
  }
  const final = last?.rechecked as Rechecked;
  return { ...final, inFlight, replay: last?.replay ?? 'not-needed' };
}

/** Reads the source, then waits until the target has replayed what that read saw, then reads the target. */
async function recheckOnce(run: DiffRun, keys: KeyValues[], settleMs: number): Promise<Rechecked> {
  const now = new Map<string, string>();
  for (let i = 0; i < keys.length; i += BATCH) {
    checkCancelled(run);
    (await hashesByKey(run, run.source, keys.slice(i, i + BATCH))).forEach((v, k) => now.set(k, v));
  }
  const replay = await waitForReplay(run, settleMs);
  const result: Rechecked = { missingInTarget: [], missingInSource: [], changed: [], inFlight: [], replay };
  for (let i = 0; i < keys.length; i += BATCH) {
    checkCancelled(run);
    const batch = keys.slice(i, i + BATCH);
    const then = await hashesByKey(run, run.target, batch);
    for (const key of batch) {
      const id = JSON.stringify(key);
      const s = now.get(id);
      const t = then.get(id);
      if (s === t) result.inFlight.push(key);
      else if (t === undefined) result.missingInTarget.push(key);
      else if (s === undefined) result.missingInSource.push(key);
      else result.changed.push(key);
    }
  }
  return result;
}

async function hashesByKey(run: DiffRun, side: DiffRun['source'], keys: KeyValues[]): Promise<Map<string, string>> {
  const n = run.shape.keys.length;
  const rows = await side.run(hashesOfKeysQuery(run.shape, keys), { timeoutMs: run.timeoutMs, setup: SETUP });
  return new Map(rows.map((r) => [JSON.stringify(r.slice(0, n)), r[n] ?? '']));
}

async function waitForReplay(run: DiffRun, settleMs: number): Promise<ReplayState> {
  const query = { text: POSITION_SQL, values: [] };
  const options = { timeoutMs: run.timeoutMs };
  const [[s], [t]] = await both(run, (side) => side.run(query, options));
  if (!s || !t || t[0] !== 'true' || s[1] !== t[1]) return 'independent';
  const now = run.options.now ?? (() => performance.now());
  const deadline = now() + settleMs;
  for (;;) {
    const [r] = await run.target.run(
      { text: 'SELECT (pg_last_wal_replay_lsn() >= $1::pg_lsn)::text', values: [s[2] ?? null] },
      options,
    );
    if (r?.[0] === 'true') return 'caught-up';
    if (now() >= deadline || run.options.signal?.aborted) return 'behind';
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
