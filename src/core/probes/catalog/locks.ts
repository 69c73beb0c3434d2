import { mapBounded, unknownBecause } from '../context';
import type { Finding, ProbeDefinition } from '../types';

const BLOCKING_SQL = `SELECT a.pid, a.usename, a.state, left(a.query, 200) AS query, extract(epoch FROM now() - a.query_start) AS waiting_s,
  pg_blocking_pids(a.pid)::text AS blocked_by
  FROM pg_stat_activity a WHERE cardinality(pg_blocking_pids(a.pid)) > 0 ORDER BY a.query_start`;
const LONG_SQL = `SELECT pid, usename, state, left(query, 200) AS query, extract(epoch FROM now() - xact_start) AS xact_s
  FROM pg_stat_activity WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend'
  AND now() - xact_start > $1::interval ORDER BY xact_start`;
const DEADLOCK_SQL = `SELECT coalesce(sum(deadlocks), 0) AS deadlocks FROM pg_stat_database`;

/** Blocking chains, long and idle-in-transaction sessions, and deadlocks since this probe last ran. */
export const locksProbe: ProbeDefinition = {
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
      await mapBounded(ctx.targets(args.on as string[]), 4, async (target): Promise<Finding[]> => {
        const name = target.connection.name;
        try {
          const blocked = await ctx.query(target, BLOCKING_SQL);
          const long = await ctx.query(target, LONG_SQL, [`${(args['long-transaction'] as number) / 1000} seconds`]);
          const [dl] = await ctx.query(target, DEADLOCK_SQL);
          const deadlocks = Number(dl?.deadlocks ?? 0);
          const key = `locks:deadlocks:${name}`;
          const previous = ctx.memory.get(key) as number | undefined;
          ctx.memory.set(key, deadlocks);
          const newDeadlocks = previous === undefined ? 0 : Math.max(0, deadlocks - previous);
          const longestWait = Math.max(0, ...blocked.map((r) => Number(r.waiting_s) * 1000));
          const waitSeverity =
            blocked.length === 0
              ? 'ok'
              : longestWait >= (args['blocked-critical'] as number)
                ? 'critical'
                : longestWait >= (args['blocked-warn'] as number)
                  ? 'warning'
                  : 'ok';
          return [
            {
              probe: 'locks',
              target: name,
              severity: waitSeverity,
              summary:
                blocked.length === 0
                  ? 'no session is waiting on a lock'
                  : `${blocked.length} session(s) blocked, longest for ${(longestWait / 1000).toFixed(1)} s (pid ${blocked[0]?.pid} blocked by ${blocked[0]?.blocked_by})`,
              metrics: { blockedSessions: blocked.length, longestWaitSeconds: Math.round(longestWait / 100) / 10 },
              evidence: blocked,
            },
            {
              probe: 'locks',
              target: `${name}/transactions`,
              severity: long.some((r) => r.state === 'idle in transaction')
                ? 'warning'
                : long.length > 0
                  ? 'warning'
                  : 'ok',
              summary:
                long.length === 0
                  ? 'no long transaction'
                  : `${long.length} transaction(s) open longer than ${(args['long-transaction'] as number) / 1000} s (${long.filter((r) => r.state === 'idle in transaction').length} idle in transaction)`,
              metrics: { longTransactions: long.length },
              evidence: long,
            },
            {
              probe: 'locks',
              target: `${name}/deadlocks`,
              severity: newDeadlocks > 0 ? 'warning' : 'ok',
              summary:
                previous === undefined
                  ? `${deadlocks} deadlock(s) since statistics reset (baseline for the next run)`
                  : `${newDeadlocks} new deadlock(s) since the last run`,
              metrics: { deadlocksTotal: deadlocks, deadlocksSinceLastRun: newDeadlocks },
            },
          ];
        } catch (error) {
          return [unknownBecause('locks', name, error)];
        }
      })
    ).flat();
  },
};
