import type { HaManagerView } from '../connections/haManager';
import type { Finding } from '../probes/types';
import { answeredBy, type ClusterNode } from './identity';
import type { MemberFacts } from './serverFacts';

export interface MovedRole {
  role: string;
  connection: string;
  node: ClusterNode;
  nodes: readonly ClusterNode[];
  primary: ClusterNode | undefined;
  writable: readonly ClusterNode[];
}

/** A declared role the server no longer has: the roles as they are, and what to change. */
export function roleMovedFinding(moved: MovedRole): Finding {
  const { role, connection, node, nodes, primary, writable } = moved;
  const name = answeredBy(connection, nodes);
  const now = node.facts.inRecovery
    ? `is a standby now (timeline ${node.facts.timeline ?? '?'})`
    : `is writable${node.connections.length > 1 ? ` (the same server as ${otherNames(node, connection)})` : ''}`;
  const actual =
    writable.length === 0
      ? 'no member is writable'
      : `writable now: ${writable.map((n) => n.name).join(', ')}${primary ? '' : ' (more than one)'}`;
  return {
    probe: 'topology',
    target: name,
    connection,
    severity: 'critical',
    summary: `declared ${role} ${name} ${now}; ${actual}`,
    metrics: {
      roleMismatch: true,
      declaredRole: role,
      inRecovery: node.facts.inRecovery,
      timeline: node.facts.timeline,
      actualPrimary: primary?.name ?? null,
    },
  };
}

function otherNames(node: ClusterNode, connection: string): string {
  return node.connections
    .map((c) => c.name)
    .filter((n) => n !== connection)
    .join(', ');
}

/** No writable member: a failover under way or a primary that is down, an availability state, not a violation. */
export function noPrimaryFinding(
  nodes: readonly ClusterNode[],
  unreachable: readonly MemberFacts[],
  haView: HaManagerView | undefined,
): Finding {
  const down = unreachable.map((m) => m.connection.name);
  const standbys = nodes.map((n) => n.name).join(', ');
  const leader = haView?.members.find((m) => m.role === 'leader');
  const manager = haView
    ? `; ${haView.manager} says: ${leader ? `leader ${leader.name} ${leader.state}` : 'no leader'}` +
      `${haView.maintenance ? ' (maintenance mode: it will not fail over)' : ''}`
    : '';
  return {
    probe: 'topology',
    target: 'cluster',
    severity: 'critical',
    summary:
      `no primary — failover in progress or the primary is down: ${standbys} ` +
      `${nodes.length === 1 ? 'is a standby' : 'are standbys'}` +
      `${down.length > 0 ? `, ${down.join(', ')} unreachable` : ''}` +
      manager,
    metrics: { noPrimary: true, standbys: nodes.length, unreachableMembers: down.length },
  };
}

/** A member that cannot be asked: a problem of its own, whatever else looks wrong because of it. */
export function unreachableFinding(member: MemberFacts, haView: HaManagerView | undefined): Finding {
  const { connection } = member;
  const known = haView?.members.find((m) => m.host === connection.host && m.port === connection.port);
  const manager = known ? `; ${haView?.manager} says ${known.name} is ${known.state}` : '';
  return {
    probe: 'topology',
    target: connection.name,
    connection: connection.name,
    severity: 'critical',
    summary:
      `${connection.name} (${connection.host}:${connection.port}) cannot be reached: ` +
      `${member.error ?? 'no answer'}${manager}`,
    metrics: {
      unreachable: true,
      host: connection.host,
      port: connection.port,
      ...(known ? { managerName: known.name } : {}),
    },
  };
}
