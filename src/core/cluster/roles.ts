import type { RoleBinding, RoleSource, ResolvedConnection } from '../connections/model';
import type { HaManagerView } from '../connections/haManager';
import type { Finding } from '../probes/types';
import { identifyNodes, upstreamOf, type ClusterNode } from './identity';
import type { MemberFacts } from './serverFacts';
import { noPrimaryFinding, roleMovedFinding, unreachableFinding } from './findings';
import { timelineFindings } from './timelines';

/** The roles a server's own state decides: the one writable node, and the standbys that follow it. */
export const PRIMARY_ROLES: readonly string[] = ['primary'];
/** Bound only in a split brain with no declared primary: every writable server, for `on=all` cells. */
export const WRITABLE_ROLE = 'writable';
export const STANDBY_ROLES: readonly string[] = ['replicas', 'replica', 'standby', 'standbys'];

/** The cluster as its members described themselves at the start of a run, and the roles bound from it. */
export interface ClusterView {
  nodes: ClusterNode[];
  /** Members that could not be asked, with why. */
  unreachable: MemberFacts[];
  /** Writable nodes: one in a healthy cluster, none during a failover, two or more in a split brain. */
  writable: ClusterNode[];
  primary?: ClusterNode;
  replicas: ClusterNode[];
  /** Every role cells may name, bound to connections, each binding saying how its role was known. */
  bindings: Map<string, RoleBinding>;
  /** What the roles themselves show: a declared role that moved, no primary, a member that cannot be reached. */
  findings: Finding[];
  haView?: HaManagerView;
}

export interface RoleInputs {
  /** The roles the profile declares, resolved (every role but those left to discovery). */
  declared: ReadonlyMap<string, RoleBinding>;
  /** Every member asked, declared or to be discovered. */
  members: readonly MemberFacts[];
  /** How each member that is no declared role's connection came to be known. */
  memberSource: ReadonlyMap<string, RoleSource>;
  haView?: HaManagerView;
}

/** Decides the roles from what the servers said: declared roles kept and checked, the others found. */
export function decideRoles(inputs: RoleInputs): ClusterView {
  const nodes = identifyNodes(inputs.members);
  const declared = behindEndpoints(inputs.declared, inputs.members);
  // A logical copy is another system, writable on its own: only the cluster's own servers compete for primary.
  const system = clusterSystem(nodes, declared);
  const writable = nodes.filter((n) => !n.facts.inRecovery && n.facts.systemIdentifier === system);
  const primary = writable.length === 1 ? writable[0] : undefined;
  const replicas = followers(nodes, primary);
  const bindings = new Map<string, RoleBinding>();
  const moved = movedRoles(declared, nodes, primary, writable);
  for (const [role, binding] of declared) {
    const misbound = moved.filter((f) => f.metrics.declaredRole === role).flatMap((f) => f.connection ?? []);
    const connections = binding.connections.map((c) => withBackend(c, nodes));
    bindings.set(role, { ...binding, connections, ...(misbound.length > 0 ? { misbound } : {}) });
  }
  const foundSource = (node: ClusterNode) => inputs.memberSource.get(node.connections[0]?.name ?? '') ?? 'found';
  if (!bindings.has('primary') && primary) {
    bindings.set('primary', { role: 'primary', connections: [entry(primary)], source: foundSource(primary) });
  }
  // Two writable servers of one system: neither is "the" primary, but cells on all must see both (split brain).
  if (!bindings.has('primary') && writable.length > 1 && !bindings.has(WRITABLE_ROLE)) {
    bindings.set(WRITABLE_ROLE, { role: WRITABLE_ROLE, connections: writable.map(entry), source: 'found' });
  }
  if (!bindings.has('replicas') && replicas.length > 0) {
    const source = replicas.every((r) => foundSource(r) === 'ha-manager') ? 'ha-manager' : 'found';
    bindings.set('replicas', { role: 'replicas', connections: replicas.map(entry), source });
  }
  const unreachable = inputs.members.filter((m) => !m.facts);
  const findings = [
    ...moved,
    ...(writable.length === 0 && nodes.length > 0
      ? [
          noPrimaryFinding(
            nodes.filter((n) => n.facts.systemIdentifier === system),
            unreachable,
            inputs.haView,
          ),
        ]
      : []),
    ...unreachable.map((m) => unreachableFinding(m, inputs.haView)),
    ...timelineFindings(nodes, primary),
  ];
  return {
    nodes,
    unreachable,
    writable,
    ...(primary ? { primary } : {}),
    replicas,
    bindings,
    findings,
    ...(inputs.haView ? { haView: inputs.haView } : {}),
  };
}

/**
 * The system identifier of the cluster the roles are about: the declared primary's, else a declared
 * replica's (promoted or not, it belongs to the cluster), else the one most members share, a system with a
 * standby first (a logical copy beside the cluster is a lone writable server of its own).
 */
function clusterSystem(nodes: readonly ClusterNode[], declared: ReadonlyMap<string, RoleBinding>): string | undefined {
  for (const roles of [PRIMARY_ROLES, STANDBY_ROLES]) {
    const names = roles.flatMap((r) => declared.get(r)?.connections.map((c) => c.name) ?? []);
    const own = nodes.find((n) => n.connections.some((c) => names.includes(c.name)));
    if (own) return own.facts.systemIdentifier;
  }
  const score = new Map<string, number>();
  for (const n of nodes) {
    const standby = n.facts.inRecovery ? nodes.length + 1 : 0;
    score.set(n.facts.systemIdentifier, (score.get(n.facts.systemIdentifier) ?? 0) + 1 + standby);
  }
  return [...score].reduce<[string, number] | undefined>(
    (best, c) => (!best || c[1] > best[1] ? c : best),
    undefined,
  )?.[0];
}

/** The standbys of the primary's cluster that stream from it (or, with no primary, every standby). */
function followers(nodes: readonly ClusterNode[], primary: ClusterNode | undefined): ClusterNode[] {
  const standbys = nodes.filter((n) => n.facts.inRecovery);
  if (!primary) return standbys;
  return standbys.filter((n) => {
    if (n.facts.systemIdentifier !== primary.facts.systemIdentifier) return false;
    const upstream = upstreamOf(n, nodes);
    // A standby whose receiver is not running (yet) still belongs to the primary's timeline.
    return upstream ? upstream === primary : n.facts.timeline === primary.facts.timeline;
  });
}

/** The connection cells use for a found node: its direct one, so findings name the server itself. */
function entry(node: ClusterNode): ResolvedConnection {
  const connection = node.connections[0];
  if (!connection) throw new Error(`node ${node.name} has no connection`);
  return connection;
}

/** A declared round-robin endpoint stands for each backend seen through it (`lb-ro → pg2`, `lb-ro → pg3`). */
function behindEndpoints(
  declared: ReadonlyMap<string, RoleBinding>,
  members: readonly MemberFacts[],
): Map<string, RoleBinding> {
  const expand = (c: ResolvedConnection) => {
    const backends = members.filter((m) => m.connection.endpoint === c.name).map((m) => m.connection);
    return backends.length > 0 ? backends : [c];
  };
  return new Map([...declared].map(([role, b]) => [role, { ...b, connections: b.connections.flatMap(expand) }]));
}

/** A declared connection that reached another server's node is named after it (`lb-ro → pg2`). */
function withBackend(connection: ResolvedConnection, nodes: readonly ClusterNode[]): ResolvedConnection {
  if (connection.endpoint) return connection; // its name already says which backend answered
  const node = nodes.find((n) => n.connections.some((c) => c.name === connection.name));
  return node && node.name !== connection.name ? { ...connection, answeredBy: node.name } : connection;
}

/** Declared primaries that are standbys now, and declared standbys that are writable. */
function movedRoles(
  declared: ReadonlyMap<string, RoleBinding>,
  nodes: readonly ClusterNode[],
  primary: ClusterNode | undefined,
  writable: readonly ClusterNode[],
): Finding[] {
  const findings: Finding[] = [];
  for (const [role, binding] of declared) {
    const wantsPrimary = PRIMARY_ROLES.includes(role);
    if (!wantsPrimary && !STANDBY_ROLES.includes(role)) continue;
    for (const connection of binding.connections) {
      const node = nodes.find((n) => n.connections.some((c) => c.name === connection.name));
      if (!node || node.facts.inRecovery !== wantsPrimary) continue;
      // Two writable servers: a split brain explains a writable "replica"; topology names it, not a moved role.
      if (!wantsPrimary && writable.length > 1) continue;
      findings.push(roleMovedFinding({ role, connection: connection.name, node, nodes, primary, writable }));
    }
  }
  return findings;
}
