import { mapBounded, unknownBecause } from '../context';
import type { Finding, ProbeDefinition } from '../types';

/** In-doubt two-phase transactions: they hold locks and block vacuum until someone commits or rolls them back. */
export const preparedTransactionsProbe: ProbeDefinition = {
  name: 'prepared-transactions',
  summary: 'two-phase transactions prepared longer ago than older-than',
  params: {
    on: { type: 'roles', doc: 'roles or connections to inspect', default: 'primary' },
    'older-than': { type: 'duration', doc: 'age from which a prepared transaction is stuck', default: '1m' },
    critical: { type: 'duration', doc: 'age from which it is critical', default: '10m' },
  },
  async run(args, ctx) {
    const olderThan = args['older-than'] as number;
    const critical = args.critical as number;
    const perTarget = await mapBounded(ctx.targets(args.on as string[]), 4, async (target): Promise<Finding> => {
      const name = target.connection.name;
      try {
        const rows = await ctx.query(
          target,
          `SELECT gid, owner, database, prepared::text,
          extract(epoch FROM now() - prepared) * 1000 AS age_ms FROM pg_prepared_xacts ORDER BY prepared`,
        );
        const stuck = rows.filter((r) => Number(r.age_ms) >= olderThan);
        const oldest = stuck.length > 0 ? Number(stuck[0]?.age_ms) : 0;
        const severity = stuck.length === 0 ? 'ok' : oldest >= critical ? 'critical' : 'warning';
        return {
          probe: 'prepared-transactions',
          target: name,
          severity,
          summary:
            stuck.length === 0
              ? `no prepared transaction older than ${olderThan / 1000} s (${rows.length} in all)`
              : `${stuck.length} prepared transaction(s) stuck, oldest ${(oldest / 1000).toFixed(0)} s (gid ${stuck[0]?.gid})`,
          metrics: { stuck: stuck.length, prepared: rows.length, oldestAgeSeconds: Math.round(oldest / 1000) },
          evidence: stuck,
        };
      } catch (error) {
        return unknownBecause('prepared-transactions', name, error);
      }
    });
    return perTarget;
  },
};
