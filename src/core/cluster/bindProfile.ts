import type { DiscoverySource, HaManagerView, HaMember } from '../connections/haManager';
import type {
  ConnectionEnvironment,
  ConnectionsConfig,
  ResolvedConnection,
  RoleBinding,
  RoleSource,
} from '../connections/model';
import { haMemberConnection } from '../connections/haMembers';
import { resolveConnection, resolveProfile } from '../connections/resolve';
import type { SessionPool } from '../sql/sessionPool';
import { decideRoles, PRIMARY_ROLES, STANDBY_ROLES, type ClusterView } from './roles';
import { fetchServerFacts } from './serverFacts';
import { sampleRoundRobin } from './roundRobin';

export interface BindProfileOptions {
  config: ConnectionsConfig;
  profile: string;
  /** The roles the runbook needs. */
  roles: readonly string[];
  environment: ConnectionEnvironment;
  /** The run's pool: the sessions that asked for facts are the ones the cells then use. */
  pool: SessionPool;
  statementTimeoutMs: number;
  signal?: AbortSignal;
  /** Reads an HA manager's view (a driver, e.g. Patroni's REST API); without it `discover.patroni` is unread. */
  readHaView?(source: DiscoverySource): Promise<HaManagerView>;
}

export interface BoundProfile extends ClusterView {
  /** What the user should hear about the binding (an HA manager that did not answer). */
  warnings: string[];
}

/** The roles a profile may leave to discovery: what each server says of itself decides them. */
const FOUND_ROLES = ['primary', 'replicas'];

/**
 * Binds a profile's roles for one run, as both the CLI and VS Code do: declared roles resolved, every
 * member (declared, listed under `discover.members`, or named by the HA manager) asked what it is, and the
 * roles the profile leaves open bound to what was found. The sessions stay in the pool for the cells.
 */
export async function bindProfile(options: BindProfileOptions): Promise<BoundProfile> {
  const { config, profile, environment } = options;
  const discovery = config.discovery?.[profile];
  const declaredRoles = rolesToDeclare(config, profile, options.roles);
  const declared = markDeclared(resolveProfile(config, profile, declaredRoles, environment));
  const warnings: string[] = [];
  const members = distinct([...declared.values()].flatMap((b) => b.connections));
  const memberSource = new Map<string, RoleSource>();
  for (const name of discovery?.members ?? []) {
    const spec = config.connections[name];
    if (!spec || members.some((m) => m.name === name)) continue;
    members.push(resolveConnection(name, spec, environment));
    memberSource.set(name, 'found');
  }
  const haView = await readView(options, discovery, warnings);
  const noTemplate = loginTemplateMissing(profile, discovery, members);
  if (noTemplate && haView) warnings.push(`${noTemplate} (it named ${haView.members.map((m) => m.name).join(', ')})`);
  for (const member of haView?.members ?? []) {
    if (members.some((m) => m.host === member.host && m.port === member.port)) continue;
    const added = managedMember(member, members, environment);
    if (!added) continue;
    members.push(added);
    memberSource.set(added.name, 'ha-manager');
  }
  const factsOptions = {
    statementTimeoutMs: options.statementTimeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const asked = await fetchServerFacts(options.pool, members, factsOptions);
  const sampled = await sampleRoundRobin(options.pool, asked, factsOptions);
  warnings.push(...sampled.warnings);
  const facts = sampled.members;
  const view = decideRoles({ declared, members: facts, memberSource, ...(haView ? { haView } : {}) });
  // A role the runbook needs and nobody holds now (no primary) is bound to nothing: its cells say so.
  for (const role of [...options.roles, ...(discovery ? FOUND_ROLES : [])])
    if (!view.bindings.has(role)) view.bindings.set(role, { role, connections: [], source: 'found' });
  return { ...view, warnings };
}

/** The roles a profile must declare for a runbook: all it needs, but those its `discover` leaves to the servers. */
export function rolesToDeclare(config: ConnectionsConfig, profile: string, roles: readonly string[]): string[] {
  return config.discovery?.[profile] ? roles.filter((r) => !FOUND_ROLES.includes(r)) : [...roles];
}

function markDeclared(bindings: Map<string, RoleBinding>): Map<string, RoleBinding> {
  for (const binding of bindings.values()) binding.source = 'declared';
  return bindings;
}

function distinct(connections: ResolvedConnection[]): ResolvedConnection[] {
  return connections.filter((c, i) => connections.findIndex((d) => d.name === c.name) === i);
}

async function readView(
  options: BindProfileOptions,
  discovery: DiscoverySource | undefined,
  warnings: string[],
): Promise<HaManagerView | undefined> {
  if (!discovery?.patroni || !options.readHaView) return undefined;
  try {
    return await options.readHaView(discovery);
  } catch (error) {
    warnings.push(`the HA manager could not be read (${discovery.patroni.join(', ')}): ${(error as Error).message}`);
    return undefined;
  }
}

/**
 * Members only the HA manager names are reached with the login (user, database, TLS) of a connection the
 * profile has: without one, none of them is read. Said by `cnbook check` and at each run.
 */
export function loginTemplateMissing(
  profile: string,
  discovery: DiscoverySource | undefined,
  known: readonly ResolvedConnection[],
): string | undefined {
  if (!discovery?.patroni || known.length > 0 || (discovery.members ?? []).length > 0) return undefined;
  return (
    `profile '${profile}': discover.patroni lists the HA manager, but the profile names no connection whose ` +
    `user, database and TLS settings its members could be reached with, so no member is read; declare one ` +
    `(e.g. "primary": "lb-rw") or list discover.members`
  );
}

/** A member only the HA manager names: reached with the first member's user, database and TLS settings. */
function managedMember(
  member: HaMember,
  known: readonly ResolvedConnection[],
  environment: ConnectionEnvironment,
): ResolvedConnection | undefined {
  const template = known[0];
  if (!template) return undefined;
  return haMemberConnection(
    member,
    template,
    known.map((k) => k.name),
    environment,
  );
}

/** Whether a role is one a server's own state can confirm or contradict. */
export function isServerRole(role: string): boolean {
  return PRIMARY_ROLES.includes(role) || STANDBY_ROLES.includes(role);
}
