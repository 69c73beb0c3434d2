import { mapBounded, unknownBecause } from '../context';
import type { Finding, Row } from '../types';
import { defineProbe, grade } from '../types';

export const REPLICATION_SLOTS_SQL = `SELECT slot_name, slot_type, active, wal_status,
          pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, restart_lsn) AS retained_bytes
          FROM pg_replication_slots ORDER BY slot_name`;

/** Inactive slots pin WAL on the primary until its disk fills: report them with the WAL they retain. */
export const replicationSlotsProbe = defineProbe({
  name: 'replication-slots',
  summary: 'inactive replication slots and the WAL they retain',
  params: {
    on: { type: 'roles', doc: 'roles or connections to inspect', default: 'primary' },
    warn: { type: 'number', doc: 'retained WAL in MB that is a warning', default: '1024' },
    critical: { type: 'number', doc: 'retained WAL in MB that is critical', default: '10240' },
  },
  async run(args, ctx) {
    return (
      await mapBounded(ctx.targets(args.on), 4, async (target): Promise<Finding[]> => {
        const name = target.connection.name;
        try {
          const rows = await ctx.query(target, REPLICATION_SLOTS_SQL);
          if (rows.length === 0)
            return [
              {
                probe: 'replication-slots',
                target: name,
                connection: name,
                severity: 'ok',
                summary: 'no replication slots',
                metrics: { slots: 0 },
              },
            ];
          return rows.map((r) => slotFinding(name, r, args.warn, args.critical));
        } catch (error) {
          return [unknownBecause('replication-slots', name, error, name)];
        }
      })
    ).flat();
  },
});

/** A lost slot is critical; an inactive one at least a warning; the WAL it retains graded in MB. */
function slotFinding(name: string, r: Row, warn: number, critical: number): Finding {
  const mb = r.retained_bytes === null ? null : Number(r.retained_bytes) / 2 ** 20;
  const bySize = grade(mb, warn, critical);
  const severity = r.wal_status === 'lost' ? 'critical' : r.active === 'f' && bySize === 'ok' ? 'warning' : bySize;
  return {
    probe: 'replication-slots',
    target: `${name}/${r.slot_name}`,
    connection: name,
    severity,
    summary: `${r.slot_type} slot ${r.slot_name} ${r.active === 't' ? 'active' : 'INACTIVE'}, retains ${mb === null ? 'unknown' : mb.toFixed(1)} MB of WAL (${r.wal_status})`,
    metrics: {
      slotName: r.slot_name,
      slotType: r.slot_type,
      active: r.active === 't',
      retainedMB: mb === null ? null : Math.round(mb * 10) / 10,
      walStatus: r.wal_status,
    },
  };
}
