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

// Keys read again a query: one bounded result (sessionSide stores at most 200,000 rows).
const BATCH = 10_000;
const ROUNDS = 3;
// Where each side stands: on a standby its replay position; on a primary its insert and flush positions and
// wal_writer_delay (ms), which bounds how long an asynchronous commit may sit unflushed (docs/diff.md).
const POSITION_SQL = `SELECT pg_is_in_recovery()::text, (SELECT system_identifier::text FROM pg_control_system()),
  (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END)::text,
  (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_flush_lsn() END)::text,
  (SELECT setting FROM pg_settings WHERE name = 'wal_writer_delay')`;
const FLUSHED_SQL = 'SELECT (pg_current_wal_flush_lsn() >= $1::pg_lsn)::text, pg_current_wal_flush_lsn()::text';
const POLL_MS = 50;

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
  const rows = await side.run(hashesOfKeysQuery(run.shape, keys), { timeoutMs: run.timeoutMs, settings: SETUP });
  return new Map(rows.map((r) => [JSON.stringify(r.slice(0, n)), r[n] ?? '']));
}

async function waitForReplay(run: DiffRun, settleMs: number): Promise<ReplayState> {
  const query = { text: POSITION_SQL, values: [] };
  const options = { timeoutMs: run.timeoutMs };
  const [[s], [t]] = await both(run, (side) => side.run(query, options));
  if (!s || !t || t[0] !== 'true' || s[1] !== t[1]) return 'independent';
  const now = run.options.now ?? (() => performance.now());
  const deadline = now() + settleMs;
  const goal = s[0] === 'true' ? (s[2] ?? null) : await flushedGoal(run, s, now);
  for (;;) {
    const [r] = await run.target.run(
      { text: 'SELECT (pg_last_wal_replay_lsn() >= $1::pg_lsn)::text', values: [goal] },
      options,
    );
    if (r?.[0] === 'true') return 'caught-up';
    if (now() >= deadline || run.options.signal?.aborted) return 'behind';
    await sleep(POLL_MS);
  }
}

/**
 * The position on a primary a replica must replay for the rows its read saw. Not the insert position: WAL
 * a read-only scan inserts (page pruning, hint bits) is not flushed, hence not sent, until something else
 * is, so a replica may never reach it. Every commit the read saw is flushed (synchronous_commit = on) or
 * will be within 3 × wal_writer_delay (off): wait that long at most for the flush position to reach the
 * insert position, and aim at where the flush stands then.
 */
async function flushedGoal(run: DiffRun, position: (string | null)[], now: () => number): Promise<string | null> {
  const [, , insert, flush, delay] = position;
  if (insert === flush) return insert ?? null;
  const graceEnds = now() + 3 * (Number(delay) || 200) + POLL_MS;
  let flushed = flush ?? null;
  for (;;) {
    const [r] = await run.source.run({ text: FLUSHED_SQL, values: [insert ?? null] }, { timeoutMs: run.timeoutMs });
    if (r?.[0] === 'true') return insert ?? null;
    flushed = r?.[1] ?? flushed;
    if (now() >= graceEnds || run.options.signal?.aborted) return flushed;
    await sleep(POLL_MS);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
