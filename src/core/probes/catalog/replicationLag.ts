import { mapBounded, unknownBecause } from '../context';
import type { Finding, KnownMetrics, MetricValue, ProbeContext, Row, Severity } from '../types';
import { defineProbe, grade, worst } from '../types';
import { SqlError } from '../../sql/errors';
import type { Target } from '../../sql/targets';

/** The queries of replication-lag, by what they ask (the unit tests answer them by these names). */
// The primary's position is its flush LSN: WAL written but not yet flushed (a lone record on an idle
// primary with synchronous_commit=off waits for the WAL writer) cannot have been sent to any standby.
export const REPLICATION_LAG_SQL = {
  standby: `SELECT pg_is_in_recovery() AS in_recovery, pg_is_wal_replay_paused() AS paused,
  pg_last_wal_receive_lsn()::text AS receive_lsn, pg_last_wal_replay_lsn()::text AS replay_lsn,
  extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000 AS since_last_replayed_commit_ms,
  (SELECT conninfo FROM pg_stat_wal_receiver LIMIT 1) AS receiver_conninfo, current_setting('cluster_name') AS cluster_name,
  extract(epoch FROM current_setting('recovery_min_apply_delay')::interval) * 1000 AS apply_delay_ms`,
  senders: `SELECT application_name, state, pg_current_wal_flush_lsn()::text AS current_lsn, sent_lsn::text AS sent_lsn, replay_lsn::text AS replay_lsn,
  pg_wal_lsn_diff(pg_current_wal_flush_lsn(), replay_lsn) AS replay_bytes,
  extract(epoch FROM write_lag) * 1000 AS write_lag_ms, extract(epoch FROM flush_lag) * 1000 AS flush_lag_ms,
  extract(epoch FROM replay_lag) * 1000 AS replay_lag_ms,
  extract(epoch FROM replay_lag + (clock_timestamp() - reply_time)) * 1000 AS replay_lag_now_ms FROM pg_stat_replication`,
  primaryLsn: 'SELECT pg_current_wal_flush_lsn()::text AS lsn',
  lsnDiff: 'SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn) AS d',
  /** Whether the standby received all the primary flushed ($1), which ends on a WAL page boundary less than a page past its replay. */
  heldAtPageEnd: `SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn
  AND pg_wal_lsn_diff($1::pg_lsn, '0/0') % current_setting('wal_block_size')::numeric = 0
  AND pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()) < current_setting('wal_block_size')::numeric AS held`,
  createMarker: `CREATE TABLE IF NOT EXISTS cnbook_lag_marker (id text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
  insertMarker: 'INSERT INTO cnbook_lag_marker (id) VALUES ($1)',
  seeMarker: 'SELECT 1 FROM cnbook_lag_marker WHERE id = $1',
  deleteMarker: 'DELETE FROM cnbook_lag_marker WHERE id = $1',
} as const;
const SQL = REPLICATION_LAG_SQL;

/** What the primary told us, or why it could not: without it a standby's lag cannot be measured. */
type PrimaryView = { lsn: string; senders: Row[] } | { unavailable: string };
/** Per replica: the marker's travel time in ms, or why it could not be read there. */
type Markers = Map<string, number | Error>;

/**
 * Per replica: bytes of WAL not yet replayed, pg_stat_replication's replay lag, and (opt-in, marker=yes) the
 * measured time for a row written on the primary to become visible. A replica that has replayed everything
 * is "caught up" however old its last replayed commit is: an idle primary is not lag. Without the primary's
 * position nothing says whether it is caught up, so it is unknown, never graded by its last commit's age.
 */
export const replicationLagProbe = defineProbe({
  name: 'replication-lag',
  summary: 'how far each replica is behind its primary, in bytes and time',
  params: {
    on: { type: 'roles', doc: 'the replicas', default: 'replicas' },
    primary: { type: 'roles', doc: 'the primary', default: 'primary' },
    warn: { type: 'duration', doc: 'lag that is a warning', default: '5s' },
    critical: { type: 'duration', doc: 'lag that is critical', default: '30s' },
    marker: {
      type: 'bool',
      doc: 'write a marker row on the primary and time its arrival (needs writes)',
      default: 'no',
    },
    timeout: { type: 'duration', doc: 'how long to wait for a marker', default: '60s' },
  },
  writeRoles: (args) => (args.marker ? args.primary : []),
  async run(args, ctx) {
    const [primary] = ctx.targets(args.primary);
    const replicas = ctx.targets(args.on);
    const view = await readPrimary(ctx, primary);
    const markers: Markers = args.marker && primary ? await markerLag(ctx, primary, replicas, args.timeout) : new Map();
    const thresholds = { warn: args.warn, critical: args.critical };
    return mapBounded(replicas, 4, (replica) => measure(ctx, replica, view, markers, thresholds));
  },
});

async function readPrimary(ctx: ProbeContext, primary: Target | undefined): Promise<PrimaryView> {
  if (!primary) return { unavailable: 'no primary to compare with' };
  const name = primary.connection.name;
  try {
    const senders = await ctx.query(primary, SQL.senders);
    const [row] = await ctx.query(primary, SQL.primaryLsn);
    return row?.lsn ? { lsn: row.lsn, senders } : { unavailable: `the primary ${name} gave no WAL position` };
  } catch (error) {
    return { unavailable: `the primary ${name} could not be read: ${messageOf(error)}` };
  }
}

async function measure(
  ctx: ProbeContext,
  replica: Target,
  view: PrimaryView,
  markers: Markers,
  thresholds: { warn: number; critical: number },
): Promise<Finding> {
  const name = replica.connection.name;
  const unknown = (reason: unknown) => unknownBecause('replication-lag', name, reason, name);
  try {
    const [s] = await ctx.query(replica, SQL.standby);
    if (!s) return unknown(new Error('the standby returned no status row'));
    if (s.in_recovery === 'f') return notAStandby(name);
    if (s.in_recovery !== 't') return unknown(new Error('the server does not say whether it is in recovery'));
    if ('unavailable' in view) return unknown(new Error(view.unavailable));
    const marker = markers.get(name);
    if (marker instanceof Error) return unknown(new Error(`the marker could not be read: ${marker.message}`));
    const first = s.replay_lsn ? await lsnDiff(ctx, replica, view.lsn, s.replay_lsn) : null;
    if (first === null && marker === undefined) return unknown(new Error('the standby reports no replay position'));
    const sender = senderOf(s, view.senders);
    const bytes = marker === undefined ? await recheckBytes(ctx, replica, view.lsn, s, first, sender) : first;
    const graded = gradeStandby({ standby: s, sender, bytes, marker, ...thresholds });
    return { probe: 'replication-lag', target: name, connection: name, ...graded };
  } catch (error) {
    return unknown(error);
  }
}

/** How long a streaming standby gets to replay what the primary had flushed when it was first read. */
export const RECHECK_MS = 250;

/**
 * WAL flushed a moment before the standby was read is normally in flight, not waiting: a standby that is
 * replaying (not paused) is read once more after RECHECK_MS, and counts as caught up if it passed the
 * primary's position by then. Without this, a record written just before the probe read as "behind", and
 * the WAL sender's last reply (up to wal_receiver_status_interval old) made it look seconds old.
 */
async function recheckBytes(
  ctx: ProbeContext,
  replica: Target,
  primaryLsn: string,
  standby: Row,
  bytes: number | null,
  sender: Row | undefined,
): Promise<number | null> {
  if (bytes === null || bytes <= 0 || standby.paused === 't' || ctx.signal?.aborted) return bytes;
  await new Promise((r) => setTimeout(r, RECHECK_MS));
  const [again] = await ctx.query(replica, SQL.standby);
  if (!again?.replay_lsn) return bytes;
  const now = await lsnDiff(ctx, replica, primaryLsn, again.replay_lsn);
  if (now !== null && now <= 0) return now;
  if (await waitsForRecordTail(ctx, replica, primaryLsn, again)) return 0;
  // Streaming, and replayed all its WAL sender has sent: the rest is flushed WAL the sender has not picked up
  // yet (an idle primary's background flush can wait seconds for it), not WAL this standby is slow with.
  if (sender?.state !== 'streaming' || !sender.sent_lsn) return bytes;
  const unsent = await lsnDiff(ctx, replica, sender.sent_lsn, again.replay_lsn);
  return unsent !== null && unsent <= 0 ? 0 : bytes;
}

/**
 * The primary writes WAL in whole pages in the background: a record that crosses into the next page can be
 * flushed (and streamed) up to the page boundary while its tail stays in the primary's WAL buffers, until
 * the next commit or flush; on a quiet primary that lasts seconds. No standby can replay a record it has
 * half of, so a standby that received everything flushed, stopped less than a page before that boundary,
 * is waiting for the primary, not behind. Not with an apply delay, which holds back complete records too.
 */
async function waitsForRecordTail(ctx: ProbeContext, replica: Target, primaryLsn: string, standby: Row) {
  if (Number(standby.apply_delay_ms ?? 0) > 0) return false;
  const [row] = await ctx.query(replica, SQL.heldAtPageEnd, [primaryLsn]);
  return row?.held === 't';
}

function notAStandby(name: string): Finding {
  return {
    probe: 'replication-lag',
    target: name,
    connection: name,
    severity: 'critical',
    summary: 'not a standby: it is not in recovery (promoted, or not a replica)',
    metrics: { inRecovery: false },
  };
}

export interface StandbyMeasurement {
  /** The standby's status row (REPLICATION_LAG_SQL.standby). */
  standby: Row;
  /** The primary's WAL sender row for it, if one serves it. */
  sender: Row | undefined;
  /** WAL bytes between the primary's position and the standby's replay position, if known. */
  bytes: number | null;
  /** The marker's travel time in ms, when a marker was written. */
  marker: number | undefined;
  warn: number;
  critical: number;
}

/** Grades one standby from what was measured on it and on its primary. Pure. */
export function gradeStandby(m: StandbyMeasurement): Pick<Finding, 'severity' | 'summary' | 'metrics'> {
  const { standby: s, sender, bytes, marker } = m;
  const caughtUp = bytes !== null && bytes <= 0;
  const behind = behindEstimate(s, sender);
  const estimateMs = marker ?? (caughtUp ? 0 : behind.ms);
  const paused = s.paused === 't';
  // Replay paused is never less than a warning, caught up or not: the next write will not reach this standby
  // (and nothing pending yet is a matter of timing). So is an upper bound past the critical line.
  const mayBeCritical = !caughtUp && marker === undefined && Number(s.since_last_replayed_commit_ms) >= m.critical;
  const floor: Severity = paused || mayBeCritical ? 'warning' : 'ok';
  const metrics: KnownMetrics & Record<string, MetricValue> = {
    lagSeconds: Number.isFinite(estimateMs) ? Math.round(estimateMs) / 1000 : null,
    lagMethod: marker !== undefined ? 'marker' : caughtUp ? 'lsn' : behind.method,
    lagUpperBoundSeconds: caughtUp ? 0 : seconds(s.since_last_replayed_commit_ms),
    bytesBehind: bytes,
    replayPaused: paused,
    writeLagSeconds: seconds(sender?.write_lag_ms),
    flushLagSeconds: seconds(sender?.flush_lag_ms),
    replayLagSeconds: seconds(sender?.replay_lag_ms),
    senderState: sender?.state ?? null,
    applyDelaySeconds: seconds(s.apply_delay_ms),
  };
  return {
    severity: worst([grade(estimateMs, m.warn, m.critical), floor]),
    summary: lagSummary({ caughtUp, marker, estimateMs, behind, standby: s, bytes }),
    metrics,
  };
}

function lagSummary(m: {
  caughtUp: boolean;
  marker: number | undefined;
  estimateMs: number;
  behind: ReturnType<typeof behindEstimate>;
  standby: Row;
  bytes: number | null;
}): string {
  const paused = m.standby.paused === 't';
  if (m.caughtUp && m.marker === undefined)
    return paused
      ? 'caught up for now (0 bytes behind), but replay is PAUSED: the next write will not reach it'
      : 'caught up (0 bytes behind)';
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const tail = `${m.bytes ?? '?'} bytes behind${paused ? ', replay PAUSED' : ''}`;
  if (m.marker !== undefined) return `marker visible after ${s(m.estimateMs)}, ${tail}`;
  if (m.behind.method === 'wal-sender') {
    return `behind; unreplayed WAL waiting at least ${s(m.estimateMs)} (last replayed commit ${s(Number(m.standby.since_last_replayed_commit_ms))} ago), ${tail}`;
  }
  return `behind; last replayed commit ${s(m.estimateMs)} ago, ${tail}`;
}

/**
 * How long the oldest WAL the replica has not replayed has waited. The time since its last replayed commit
 * is an upper bound that also counts any idle time of the primary before the write the replica misses.
 * The primary's WAL sender gives a lower bound: replay_lag as of the standby's last reply plus the time
 * since that reply (the reply came after the WAL it acknowledges). The lower bound is the estimate when
 * there is one; the upper bound stays in the metrics. Both compare two servers' clocks.
 */
function behindEstimate(
  standby: Row,
  sender: Row | undefined,
): { ms: number; method: 'wal-sender' | 'last-replayed-commit' } {
  const sinceCommit = Number(standby.since_last_replayed_commit_ms ?? NaN);
  const tracked =
    sender?.replay_lag_now_ms === null || sender?.replay_lag_now_ms === undefined
      ? NaN
      : Number(sender.replay_lag_now_ms);
  if (Number.isFinite(tracked) && !(tracked > sinceCommit)) return { ms: Math.max(0, tracked), method: 'wal-sender' };
  return { ms: sinceCommit, method: 'last-replayed-commit' };
}

/**
 * The primary's WAL sender row for this standby: by the name its WAL receiver gives (application_name in its
 * connection string, else cluster_name) when that name is unique, else by replay position, else the only one.
 */
export function senderOf(standby: Row, senders: readonly Row[]): Row | undefined {
  const named = /(?:^|\s)application_name=('(?:[^'\\]|\\.)*'|\S+)/
    .exec(standby.receiver_conninfo ?? '')?.[1]
    ?.replace(/^'|'$/g, '');
  const name = named || standby.cluster_name || '';
  const byName = name ? senders.filter((r) => r.application_name === name) : [];
  if (byName.length === 1) return byName[0];
  const byPosition = senders.filter((r) => r.replay_lsn === standby.replay_lsn);
  if (byPosition.length >= 1) return byPosition[0];
  return senders.length === 1 ? senders[0] : undefined;
}

/** pg_stat_replication's lag columns are NULL while the standby is idle and caught up. */
/** Milliseconds as seconds to the microsecond, PostgreSQL's precision: plain division prints float noise. */
function seconds(ms: string | null | undefined): number | null {
  return ms === null || ms === undefined ? null : Math.round(Number(ms) * 1000) / 1e6;
}

/** WAL bytes from b to a; null when the server gives no number. */
async function lsnDiff(ctx: ProbeContext, target: Target, a: string, b: string): Promise<number | null> {
  const [row] = await ctx.query(target, SQL.lsnDiff, [a, b]);
  const bytes = row?.d === null || row?.d === undefined ? NaN : Number(row.d);
  return Number.isFinite(bytes) ? bytes : null;
}

/** Writes a marker on the primary and polls each replica until it shows it: lag measured, not inferred. */
async function markerLag(ctx: ProbeContext, primary: Target, replicas: Target[], timeoutMs: number): Promise<Markers> {
  await ctx.write(primary, SQL.createMarker);
  const id = `m-${Math.random().toString(36).slice(2)}`;
  await ctx.write(primary, SQL.insertMarker, [id]);
  const writtenAt = ctx.now();
  const results: Markers = new Map();
  try {
    await mapBounded(replicas, 4, async (replica) => {
      results.set(replica.connection.name, await awaitMarker(ctx, replica, id, writtenAt, timeoutMs));
    });
  } finally {
    await ctx.cleanup(primary, SQL.deleteMarker, [id]);
  }
  return results;
}

/**
 * Polls one replica for the marker: its travel time, the timeout when it did not arrive (a lower bound of the
 * lag), or the error that stopped the reading. Only "no such table" is waited out: the table itself may not
 * have been replayed yet.
 */
async function awaitMarker(
  ctx: ProbeContext,
  replica: Target,
  id: string,
  writtenAt: number,
  timeoutMs: number,
): Promise<number | Error> {
  for (;;) {
    const rows = await ctx.query(replica, SQL.seeMarker, [id]).catch((error: unknown) => error);
    if (Array.isArray(rows) && rows.length > 0) return ctx.now() - writtenAt;
    if (!Array.isArray(rows) && !isUndefinedTable(rows) && !ctx.signal?.aborted) return asError(rows);
    if (ctx.now() - writtenAt > timeoutMs || ctx.signal?.aborted) return timeoutMs;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function isUndefinedTable(error: unknown): boolean {
  return error instanceof SqlError && error.fields.sqlstate === '42P01';
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
