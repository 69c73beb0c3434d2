import type { ResolvedConnection } from '../connections/model';
import type { MemberFacts, ServerFacts } from './serverFacts';

/** One server, however many connections reach it (a proxy port and its direct port are one node). */
export interface ClusterNode {
  /** The name the node goes by: its direct connection's, else the first connection that reached it. */
  name: string;
  /** Every connection that reached this server, the direct one (if any) first. */
  connections: ResolvedConnection[];
  facts: ServerFacts;
}

/** Who a server is: its cluster's identifier, its own address and port, and when its postmaster started. */
export function serverIdentity(facts: ServerFacts): string {
  return [facts.systemIdentifier, facts.serverAddress ?? 'socket', facts.serverPort, facts.postmasterStartTime].join(
    '|',
  );
}

/** Groups the members that answered into nodes, in the order they were listed. */
export function identifyNodes(members: readonly MemberFacts[]): ClusterNode[] {
  const nodes = new Map<string, ClusterNode>();
  for (const member of members) {
    if (!member.facts) continue;
    const key = serverIdentity(member.facts);
    const node = nodes.get(key);
    if (!node) nodes.set(key, { name: member.connection.name, connections: [member.connection], facts: member.facts });
    else node.connections.push(member.connection);
  }
  for (const node of nodes.values()) {
    const direct = node.connections.find((c) => reachesDirectly(c, node.facts));
    if (direct && direct !== node.connections[0]) {
      node.connections = [direct, ...node.connections.filter((c) => c !== direct)];
      node.name = direct.name;
    }
  }
  return [...nodes.values()];
}

/** Whether a connection's host and port are the server's own (not a proxy's in front of it). */
export function reachesDirectly(connection: ResolvedConnection, facts: ServerFacts): boolean {
  if (facts.serverPort !== connection.port) return false;
  if (facts.serverAddress === null) return connection.host.startsWith('/') || connection.host === 'localhost';
  return sameHost(connection.host, facts.serverAddress);
}

const LOOPBACK = ['localhost', '127.0.0.1', '::1'];

export function sameHost(a: string, b: string): boolean {
  return a === b || (LOOPBACK.includes(a) && LOOPBACK.includes(b));
}

/** How a connection is named in findings and provenance: `lb-ro → pg2` when another server answered. */
export function answeredBy(connection: string, nodes: readonly ClusterNode[]): string {
  const node = nodes.find((n) => n.connections.some((c) => c.name === connection));
  return node && node.name !== connection ? `${connection} → ${node.name}` : connection;
}

/** The node a standby streams from, when its WAL receiver names one of the nodes. */
export function upstreamOf(node: ClusterNode, nodes: readonly ClusterNode[]): ClusterNode | undefined {
  const { upstreamHost, upstreamPort } = node.facts;
  if (upstreamHost === null || upstreamPort === null) return undefined;
  return nodes.find(
    (n) =>
      n !== node &&
      (n.facts.serverPort === upstreamPort && sameHost(n.facts.serverAddress ?? 'localhost', upstreamHost)
        ? true
        : n.connections.some((c) => c.port === upstreamPort && sameHost(c.host, upstreamHost))),
  );
}
