import { mapBounded, unknownBecause } from '../context';
import type { Finding, Row } from '../types';
import { defineProbe } from '../types';

export const TOPOLOGY_SQL = `SELECT pg_is_in_recovery() AS in_recovery, (SELECT system_identifier::text FROM pg_control_system()) AS system_id,
  (SELECT timeline_id::text FROM pg_control_checkpoint()) AS timeline,
  (SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver LIMIT 1) AS upstream,
  (SELECT status FROM pg_stat_wal_receiver LIMIT 1) AS receiver_status,
  current_setting('primary_slot_name', true) AS primary_slot`;

type Node = { name: string; row: Row } | { name: string; error: unknown };

/** Recovery state, timeline, system identifier and upstream of every node; two writable nodes of one system is split brain. */
export const topologyProbe = defineProbe({
  name: 'topology',
  summary: 'recovery state, timeline, system identifier and upstream per node; split brain is critical',
  params: { on: { type: 'roles', doc: 'roles or connections to inspect', default: 'all' } },
  async run(args, ctx) {
    const nodes = await mapBounded(ctx.targets(args.on), 4, async (target): Promise<Node> => {
      const name = target.connection.name;
      try {
        const [row] = await ctx.query(target, TOPOLOGY_SQL);
        if (!row || (row.in_recovery !== 't' && row.in_recovery !== 'f'))
          throw new Error('the server does not say whether it is in recovery');
        return { name, row };
      } catch (error) {
        return { name, error };
      }
    });
    const findings: Finding[] = [];
    const writable = new Map<string, string[]>();
    for (const node of nodes) {
      if (!('row' in node)) {
        findings.push(unknownBecause('topology', node.name, node.error, node.name));
        continue;
      }
      findings.push(nodeFinding(node.name, node.row));
      // A writable node whose system is unknown cannot be matched with another: never split brain by a NULL.
      const systemId = node.row.system_id;
      if (node.row.in_recovery === 'f' && systemId)
        writable.set(systemId, [...(writable.get(systemId) ?? []), node.name]);
    }
    for (const [systemId, names] of writable) if (names.length >= 2) findings.push(splitBrain(systemId, names));
    return findings;
  },
});

function nodeFinding(name: string, r: Row): Finding {
  const primary = r.in_recovery === 'f';
  const standbyProblem = !primary && r.receiver_status !== 'streaming';
  return {
    probe: 'topology',
    target: name,
    connection: name,
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
      // Kept after a promotion: it names the slot on the old primary that this node consumed.
      primarySlotName: r.primary_slot || null,
    },
  };
}

function splitBrain(systemId: string, names: string[]): Finding {
  return {
    probe: 'topology',
    target: names.join(','),
    severity: 'critical',
    summary: `split brain: ${names.length} writable nodes of system ${systemId} (${names.join(', ')})`,
    deviating: names,
    metrics: { splitBrain: true, writableNodes: names.length, systemIdentifier: systemId },
    evidence: { writable: names },
  };
}
