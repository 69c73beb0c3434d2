import { mapBounded, unknownBecause } from '../context';
import type { Finding, Row } from '../types';
import { defineProbe } from '../types';

export const PREPARED_TRANSACTIONS_SQL = `SELECT gid, owner, database, prepared::text,
          extract(epoch FROM now() - prepared) * 1000 AS age_ms FROM pg_prepared_xacts ORDER BY prepared`;

/** In-doubt two-phase transactions: they hold locks and block vacuum until someone commits or rolls them back. */
export const preparedTransactionsProbe = defineProbe({
  name: 'prepared-transactions',
  summary: 'two-phase transactions prepared longer ago than older-than',
  params: {
    on: { type: 'roles', doc: 'roles or connections to inspect', default: 'primary' },
    'older-than': { type: 'duration', doc: 'age from which a prepared transaction is stuck', default: '1m' },
    critical: { type: 'duration', doc: 'age from which it is critical', default: '10m' },
  },
  async run(args, ctx) {
    return mapBounded(ctx.targets(args.on), 4, async (target): Promise<Finding> => {
      const name = target.connection.name;
      try {
        const rows = await ctx.query(target, PREPARED_TRANSACTIONS_SQL);
        return preparedFinding(name, rows, args['older-than'], args.critical);
      } catch (error) {
        return unknownBecause('prepared-transactions', name, error, name);
      }
    });
  },
});

function preparedFinding(name: string, rows: Row[], olderThan: number, critical: number): Finding {
  const ageOf = (r: Row) => (r.age_ms === null || r.age_ms === undefined ? NaN : Number(r.age_ms));
  const stuck = rows.filter((r) => ageOf(r) >= olderThan);
  const ageless = rows.filter((r) => Number.isNaN(ageOf(r)));
  // A prepared transaction whose age the server does not give may be stuck: not measured, so not ok.
  if (stuck.length === 0 && ageless.length > 0)
    return {
      probe: 'prepared-transactions',
      target: name,
      connection: name,
      severity: 'unknown',
      summary: `could not measure: ${ageless.length} prepared transaction(s) without a preparation time`,
      metrics: { prepared: rows.length },
      evidence: ageless,
    };
  const oldest = stuck.length > 0 ? Number(stuck[0]?.age_ms) : 0;
  const severity = stuck.length === 0 ? 'ok' : oldest >= critical ? 'critical' : 'warning';
  return {
    probe: 'prepared-transactions',
    target: name,
    connection: name,
    severity,
    summary:
      stuck.length === 0
        ? `no prepared transaction older than ${olderThan / 1000} s (${rows.length} in all)`
        : `${stuck.length} prepared transaction(s) stuck, oldest ${(oldest / 1000).toFixed(0)} s (gid ${stuck[0]?.gid})`,
    metrics: { stuck: stuck.length, prepared: rows.length, oldestAgeSeconds: Math.round(oldest / 1000) },
    evidence: stuck,
  };
}
