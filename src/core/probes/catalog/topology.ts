import { mapBounded, unknownBecause } from '../context';
import type { Finding, Row } from '../types';
import { defineProbe } from '../types';

export const TOPOLOGY_SQL = `SELECT pg_is_in_recovery() AS in_recovery, (SELECT system_identifier::text FROM pg_control_system()) AS system_id,
  (SELECT timeline_id::text FROM pg_control_checkpoint()) AS timeline,
  (SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver LIMIT 1) AS upstream,
  (SELECT status FROM pg_stat_wal_receiver LIMIT 1) AS receiver_status,
  current_setting('primary_slot_name', true) AS primary_slot,
  host(inet_server_addr()) || ':' || inet_server_port() || '@' || extract(epoch FROM pg_postmaster_start_time())
    AS server_identity`;

interface Named {
  /** The connection, and behind a proxy the node that answered (`lb-rw → pg1`). */
  name: string;
  connection: string;
}
type Answered = Named & { row: Row };
type Node = Answered | (Named & { error: unknown });

/** Recovery state, timeline, system identifier and upstream of every node; two writable nodes of one system is split brain. */
export const topologyProbe = defineProbe({
  name: 'topology',
  summary: 'recovery state, timeline, system identifier and upstream per node; split brain is critical',
  params: { on: { type: 'roles', doc: 'roles or connections to inspect', default: 'all' } },
  async run(args, ctx) {
    const nodes = await mapBounded(ctx.targets(args.on), 4, async (target): Promise<Node> => {
      // Behind a proxy the server that answered is named with it (`lb-rw → pg1`).
      const { name: connection, answeredBy } = target.connection;
      const name = answeredBy ? `${connection} → ${answeredBy}` : connection;
      try {
        const [row] = await ctx.query(target, TOPOLOGY_SQL);
        if (!row || (row.in_recovery !== 't' && row.in_recovery !== 'f'))
          throw new Error('the server does not say whether it is in recovery');
        return { name, connection, row };
      } catch (error) {
        return { name, connection, error };
      }
    });
    const findings: Finding[] = [];
    // Per system, the writable servers (by identity: one server reached twice is one node) and their names.
    const writable = new Map<string, Map<string, string>>();
    for (const node of nodes) {
      if (!('row' in node)) {
        findings.push(unknownBecause('topology', node.name, node.error, node.connection));
        continue;
      }
      findings.push(nodeFinding(node, node.row));
      // A writable node whose system is unknown cannot be matched with another: never split brain by a NULL.
      const systemId = node.row.system_id;
      if (node.row.in_recovery !== 'f' || !systemId) continue;
      const servers = writable.get(systemId) ?? new Map<string, string>();
      const identity = node.row.server_identity ?? node.name;
      if (!servers.has(identity)) servers.set(identity, node.connection);
      writable.set(systemId, servers);
    }
    for (const [systemId, servers] of writable)
      if (servers.size >= 2) findings.push(splitBrain(systemId, [...servers.values()]));
    const answered = nodes.filter((n): n is Answered => 'row' in n);
    const wantsPrimary = args.on.some((r) => r === 'all' || r === 'primary');
    if (wantsPrimary && answered.length > 0 && writable.size === 0) findings.push(noPrimary(answered));
    return findings;
  },
});

function nodeFinding({ name, connection }: Named, r: Row): Finding {
  const primary = r.in_recovery === 'f';
  const standbyProblem = !primary && r.receiver_status !== 'streaming';
  return {
    probe: 'topology',
    target: name,
    connection,
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

/** Every node asked is a standby: a failover under way or a primary that is down, not a violation. */
function noPrimary(answered: readonly Answered[]): Finding {
  const names = answered.map((n) => n.name);
  return {
    probe: 'topology',
    target: 'cluster',
    severity: 'critical',
    summary:
      `no primary — failover in progress or the primary is down: ${names.join(', ')} ` +
      `${names.length === 1 ? 'is a standby' : 'are standbys'}`,
    metrics: { noPrimary: true, standbys: names.length },
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
