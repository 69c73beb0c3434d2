import { mapBounded, unknownBecause } from '../context';
import type { Finding, Row, Severity } from '../types';
import { defineProbe } from '../types';

/** The queries of locks, by what they ask (the unit tests answer them by these names). */
export const LOCKS_SQL = {
  blocking: `SELECT a.pid, a.usename, a.state, left(a.query, 200) AS query, extract(epoch FROM now() - a.query_start) AS waiting_s,
  pg_blocking_pids(a.pid)::text AS blocked_by
  FROM pg_stat_activity a WHERE cardinality(pg_blocking_pids(a.pid)) > 0 ORDER BY a.query_start`,
  long: `SELECT pid, usename, state, left(query, 200) AS query, extract(epoch FROM now() - xact_start) AS xact_s
  FROM pg_stat_activity WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend'
  AND now() - xact_start > $1::interval ORDER BY xact_start`,
  deadlocks: `SELECT coalesce(sum(deadlocks), 0) AS deadlocks FROM pg_stat_database`,
} as const;

/** Blocking chains, long and idle-in-transaction sessions, and deadlocks since this probe last ran. */
export const locksProbe = defineProbe({
  name: 'locks',
  summary: 'blocking chains, long or idle-in-transaction sessions, deadlocks since the last run',
  params: {
    on: { type: 'roles', doc: 'roles or connections to inspect', default: 'primary' },
    'long-transaction': { type: 'duration', doc: 'transaction age that is reported', default: '5m' },
    'blocked-warn': { type: 'duration', doc: 'wait that is a warning', default: '5s' },
    'blocked-critical': { type: 'duration', doc: 'wait that is critical', default: '60s' },
  },
  async run(args, ctx) {
    return (
      await mapBounded(ctx.targets(args.on), 4, async (target): Promise<Finding[]> => {
        const name = target.connection.name;
        try {
          const blocked = await ctx.query(target, LOCKS_SQL.blocking);
          const long = await ctx.query(target, LOCKS_SQL.long, [`${args['long-transaction'] / 1000} seconds`]);
          const [dl] = await ctx.query(target, LOCKS_SQL.deadlocks);
          const deadlocks = dl?.deadlocks === null || dl?.deadlocks === undefined ? NaN : Number(dl.deadlocks);
          if (!Number.isFinite(deadlocks)) throw new Error('the server gave no deadlock count');
          const key = `locks:deadlocks:${name}`;
          const previous = ctx.memory.get(key);
          ctx.memory.set(key, deadlocks);
          return [
            blockingFinding(name, blocked, args['blocked-warn'], args['blocked-critical']),
            longFinding(name, long, args['long-transaction']),
            deadlockFinding(name, deadlocks, typeof previous === 'number' ? previous : undefined),
          ];
        } catch (error) {
          return [unknownBecause('locks', name, error, name)];
        }
      })
    ).flat();
  },
});

function blockingFinding(name: string, blocked: Row[], warn: number, critical: number): Finding {
  const waits = blocked.map((r) => (r.waiting_s === null ? NaN : Number(r.waiting_s) * 1000));
  const longestWait = Math.max(0, ...waits.filter(Number.isFinite));
  // Sessions are blocked, but for how long the server does not say: not measured, so not ok.
  const unmeasured = blocked.length > 0 && !waits.some(Number.isFinite);
  const severity: Severity =
    blocked.length === 0
      ? 'ok'
      : unmeasured
        ? 'unknown'
        : longestWait >= critical
          ? 'critical'
          : longestWait >= warn
            ? 'warning'
            : 'ok';
  return {
    probe: 'locks',
    target: name,
    connection: name,
    severity,
    summary:
      blocked.length === 0
        ? 'no session is waiting on a lock'
        : `${blocked.length} session(s) blocked, longest for ${unmeasured ? 'an unknown time' : `${(longestWait / 1000).toFixed(1)} s`} (pid ${blocked[0]?.pid} blocked by ${blocked[0]?.blocked_by})`,
    metrics: { blockedSessions: blocked.length, longestWaitSeconds: Math.round(longestWait / 100) / 10 },
    evidence: blocked,
  };
}

function longFinding(name: string, long: Row[], longTransactionMs: number): Finding {
  return {
    probe: 'locks',
    target: `${name}/transactions`,
    connection: name,
    severity: long.length > 0 ? 'warning' : 'ok',
    summary:
      long.length === 0
        ? 'no long transaction'
        : `${long.length} transaction(s) open longer than ${longTransactionMs / 1000} s (${long.filter((r) => r.state === 'idle in transaction').length} idle in transaction)`,
    metrics: { longTransactions: long.length },
    evidence: long,
  };
}

function deadlockFinding(name: string, deadlocks: number, previous: number | undefined): Finding {
  const newDeadlocks = previous === undefined ? 0 : Math.max(0, deadlocks - previous);
  return {
    probe: 'locks',
    target: `${name}/deadlocks`,
    connection: name,
    severity: newDeadlocks > 0 ? 'warning' : 'ok',
    summary:
      previous === undefined
        ? `${deadlocks} deadlock(s) since statistics reset (baseline for the next run)`
        : `${newDeadlocks} new deadlock(s) since the last run`,
    metrics: { deadlocksTotal: deadlocks, deadlocksSinceLastRun: newDeadlocks },
  };
}
