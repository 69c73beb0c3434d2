import { mapBounded, unknownBecause } from '../context';
import type { Finding, ProbeDefinition } from '../types';

const SQL = `SELECT pg_is_in_recovery() AS in_recovery, (SELECT system_identifier::text FROM pg_control_system()) AS system_id,
  (SELECT timeline_id::text FROM pg_control_checkpoint()) AS timeline,
  (SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver LIMIT 1) AS upstream,
  (SELECT status FROM pg_stat_wal_receiver LIMIT 1) AS receiver_status`;

/** Recovery state, timeline, system identifier and upstream of every node; two writable nodes of one system is split brain. */
export const topologyProbe: ProbeDefinition = {
  name: 'topology',
  summary: 'recovery state, timeline, system identifier and upstream per node; split brain is critical',
  params: { on: { type: 'roles', doc: 'roles or connections to inspect', default: 'all' } },
  async run(args, ctx) {
    const targets = ctx.targets(args.on as string[]);
    const nodes = await mapBounded(targets, 4, async (target) => {
      try {
        const [row] = await ctx.query(target, SQL);
        return { target, row };
      } catch (error) {
        return { target, error };
      }
    });
    const findings: Finding[] = [];
    const writable = new Map<string, string[]>();
    for (const node of nodes) {
      const name = node.target.connection.name;
      if (!node.row) {
        findings.push(unknownBecause('topology', name, node.error));
        continue;
      }
      const r = node.row;
      const primary = r.in_recovery === 'f';
      if (primary) writable.set(r.system_id ?? '?', [...(writable.get(r.system_id ?? '?') ?? []), name]);
      const standbyProblem = !primary && r.receiver_status !== 'streaming';
      findings.push({
        probe: 'topology',
        target: name,
        severity: standbyProblem ? 'warning' : 'ok',
        summary: primary
          ? `primary (writable), timeline ${r.timeline}`
          : `standby of ${r.upstream ?? 'unknown upstream'}, timeline ${r.timeline}${standbyProblem ? `, WAL receiver ${r.receiver_status ?? 'not running'}` : ''}`,
        metrics: {
          inRecovery: !primary,
          timeline: Number(r.timeline),
          systemIdentifier: r.system_id,
          upstream: r.upstream,
          receiverStatus: r.receiver_status,
        },
      });
    }
    for (const [systemId, names] of writable) {
      if (names.length < 2) continue;
      findings.push({
        probe: 'topology',
        target: names.join(','),
        severity: 'critical',
        summary: `split brain: ${names.length} writable nodes of system ${systemId} (${names.join(', ')})`,
        metrics: { writableNodes: names.length, systemIdentifier: systemId },
        evidence: { writable: names },
      });
    }
    return findings;
  },
};
