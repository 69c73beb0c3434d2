import { mapBounded, unknownBecause } from '../context';
import type { Finding, ProbeDefinition } from '../types';
import { grade } from '../types';

/** Inactive slots pin WAL on the primary until its disk fills: report them with the WAL they retain. */
export const replicationSlotsProbe: ProbeDefinition = {
  name: 'replication-slots',
  summary: 'inactive replication slots and the WAL they retain',
  params: {
    on: { type: 'roles', doc: 'roles or connections to inspect', default: 'primary' },
    warn: { type: 'number', doc: 'retained WAL in MB that is a warning', default: '1024' },
    critical: { type: 'number', doc: 'retained WAL in MB that is critical', default: '10240' },
  },
  async run(args, ctx) {
    return (
      await mapBounded(ctx.targets(args.on as string[]), 4, async (target) => {
        const name = target.connection.name;
        try {
          const rows = await ctx.query(
            target,
            `SELECT slot_name, slot_type, active, wal_status,
          pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, restart_lsn) AS retained_bytes
          FROM pg_replication_slots ORDER BY slot_name`,
          );
          if (rows.length === 0)
            return [
              {
                probe: 'replication-slots',
                target: name,
                severity: 'ok' as const,
                summary: 'no replication slots',
                metrics: { slots: 0 },
              },
            ];
          return rows.map((r): Finding => {
            const mb = r.retained_bytes === null ? null : Number(r.retained_bytes) / 2 ** 20;
            const bySize = grade(mb, args.warn as number, args.critical as number);
            const severity =
              r.wal_status === 'lost' ? 'critical' : r.active === 'f' && bySize === 'ok' ? 'warning' : bySize;
            return {
              probe: 'replication-slots',
              target: `${name}/${r.slot_name}`,
              severity,
              summary: `${r.slot_type} slot ${r.slot_name} ${r.active === 't' ? 'active' : 'INACTIVE'}, retains ${mb === null ? 'unknown' : mb.toFixed(1)} MB of WAL (${r.wal_status})`,
              metrics: {
                active: r.active === 't',
                retainedMB: mb === null ? null : Math.round(mb * 10) / 10,
                walStatus: r.wal_status,
              },
            };
          });
        } catch (error) {
          return [unknownBecause('replication-slots', name, error)];
        }
      })
    ).flat();
  },
};
