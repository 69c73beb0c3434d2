import { mapBounded, unknownBecause } from '../context';
import type { Finding, ProbeContext, ProbeDefinition, Row } from '../types';
import { grade, worst } from '../types';
import type { Target } from '../../sql/targets';

const STANDBY_SQL = `SELECT pg_is_in_recovery() AS in_recovery, pg_is_wal_replay_paused() AS paused,
  pg_last_wal_receive_lsn()::text AS receive_lsn, pg_last_wal_replay_lsn()::text AS replay_lsn,
  extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000 AS since_last_replayed_commit_ms,
  (SELECT conninfo FROM pg_stat_wal_receiver LIMIT 1) AS receiver_conninfo, current_setting('cluster_name') AS cluster_name`;
const PRIMARY_SQL = `SELECT application_name, state, pg_current_wal_lsn()::text AS current_lsn, replay_lsn::text AS replay_lsn,
  pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS replay_bytes,
  extract(epoch FROM write_lag) * 1000 AS write_lag_ms, extract(epoch FROM flush_lag) * 1000 AS flush_lag_ms,
  extract(epoch FROM replay_lag) * 1000 AS replay_lag_ms,
  extract(epoch FROM replay_lag + (clock_timestamp() - reply_time)) * 1000 AS replay_lag_now_ms FROM pg_stat_replication`;

/**
 * Per replica: bytes of WAL not yet replayed, pg_stat_replication's replay lag, and (opt-in, marker=yes) the
 * measured time for a row written on the primary to become visible. A replica that has replayed everything
 * is "caught up" however old its last replayed commit is: an idle primary is not lag.
 */
export const replicationLagProbe: ProbeDefinition = {
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
  writes: (args) => args.marker === true,
  async run(args, ctx) {
    const [primary] = ctx.targets(args.primary as string[]);
    const replicas = ctx.targets(args.on as string[]);
    let senders: Row[] = [];
    let primaryLsn: string | null = null;
    if (primary) {
      try {
        senders = await ctx.query(primary, PRIMARY_SQL);
        primaryLsn = (await ctx.query(primary, 'SELECT pg_current_wal_lsn()::text AS lsn'))[0]?.lsn ?? null;
      } catch {
        senders = [];
      }
    }
    const markers =
      args.marker === true && primary
        ? await markerLag(ctx, primary, replicas, args.timeout as number)
        : new Map<string, number | null>();
    return mapBounded(replicas, 4, (replica) => measure(ctx, replica, primaryLsn, senders, markers, args));
  },
};

async function measure(
  ctx: ProbeContext,
  replica: Target,
  primaryLsn: string | null,
  senders: Row[],
  markers: Map<string, number | null>,
  args: Record<string, unknown>,
): Promise<Finding> {
  const name = replica.connection.name;
  try {
    const [s] = await ctx.query(replica, STANDBY_SQL);
    if (!s || s.in_recovery !== 't')
      return {
        probe: 'replication-lag',
        target: name,
        severity: 'critical',
        summary: 'not a standby: it is not in recovery (promoted, or not a replica)',
        metrics: { inRecovery: false },
      };
    const bytes = primaryLsn && s.replay_lsn ? await lsnDiff(ctx, replica, primaryLsn, s.replay_lsn) : null;
    const sender = senderOf(s, senders);
    const caughtUp = bytes !== null && bytes <= 0;
    const marker = markers.get(name);
    const behind = behindEstimate(s, sender);
    const estimateMs = marker ?? (caughtUp ? 0 : behind.ms);
    // Behind with replay paused, or with an upper bound past the critical line, is never less than a warning.
    const mayBeCritical =
      !caughtUp && marker === undefined && Number(s.since_last_replayed_commit_ms) >= (args.critical as number);
    const floor = !caughtUp && (s.paused === 't' || mayBeCritical) ? 'warning' : 'ok';
    const severity = worst([grade(estimateMs, args.warn as number, args.critical as number), floor]);
    return {
      probe: 'replication-lag',
      target: name,
      severity,
      summary: lagSummary({ caughtUp, marker, estimateMs, behind, standby: s, bytes }),
      metrics: {
        lagSeconds: Number.isFinite(estimateMs) ? Math.round(estimateMs) / 1000 : null,
        lagMethod: marker !== undefined && marker !== null ? 'marker' : caughtUp ? 'lsn' : behind.method,
        lagUpperBoundSeconds: caughtUp ? 0 : seconds(s.since_last_replayed_commit_ms),
        bytesBehind: bytes,
        replayPaused: s.paused === 't',
        writeLagSeconds: seconds(sender?.write_lag_ms),
        flushLagSeconds: seconds(sender?.flush_lag_ms),
        replayLagSeconds: seconds(sender?.replay_lag_ms),
        senderState: sender?.state ?? null,
      },
    };
  } catch (error) {
    return unknownBecause('replication-lag', name, error);
  }
}

function lagSummary(m: {
  caughtUp: boolean;
  marker: number | null | undefined;
  estimateMs: number;
  behind: ReturnType<typeof behindEstimate>;
  standby: Row;
  bytes: number | null;
}): string {
  const paused = m.standby.paused === 't';
  if (m.caughtUp && m.marker === undefined) return `caught up (0 bytes behind${paused ? ', replay paused' : ''})`;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const tail = `${m.bytes ?? '?'} bytes behind${paused ? ', replay PAUSED' : ''}`;
  if (m.marker !== undefined && m.marker !== null) return `marker visible after ${s(m.estimateMs)}, ${tail}`;
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
function seconds(ms: string | null | undefined): number | null {
  return ms === null || ms === undefined ? null : Number(ms) / 1000;
}

async function lsnDiff(ctx: ProbeContext, target: Target, a: string, b: string): Promise<number> {
  const [row] = await ctx.query(target, 'SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn) AS d', [a, b]);
  return Number(row?.d ?? NaN);
}

/** Writes a marker on the primary and polls each replica until it shows it: lag measured, not inferred. */
async function markerLag(
  ctx: ProbeContext,
  primary: Target,
  replicas: Target[],
  timeoutMs: number,
): Promise<Map<string, number | null>> {
  await ctx.write(
    primary,
    `CREATE TABLE IF NOT EXISTS cnbook_lag_marker (id text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
  );
  const id = `m-${Math.random().toString(36).slice(2)}`;
  await ctx.write(primary, 'INSERT INTO cnbook_lag_marker (id) VALUES ($1)', [id]);
  const writtenAt = ctx.now();
  const results = new Map<string, number | null>();
  try {
    await mapBounded(replicas, 4, async (replica) => {
      for (;;) {
        const rows = await ctx.query(replica, 'SELECT 1 FROM cnbook_lag_marker WHERE id = $1', [id]).catch(() => []);
        if (rows.length > 0) return void results.set(replica.connection.name, ctx.now() - writtenAt);
        if (ctx.now() - writtenAt > timeoutMs || ctx.signal?.aborted)
          return void results.set(replica.connection.name, timeoutMs);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  } finally {
    await ctx.cleanup(primary, 'DELETE FROM cnbook_lag_marker WHERE id = $1', [id]);
  }
  return results;
}
