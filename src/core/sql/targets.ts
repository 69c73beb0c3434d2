import type { ResolvedConnection, RoleBinding, RoleSource } from '../connections/model';
import { didYouMean } from '../util/suggest';

export interface Target {
  /** The role the connection was reached through, if any. */
  role?: string;
  /** How that role was known (declared in the profile, found on the servers, listed by the HA manager). */
  roleSource?: RoleSource;
  connection: ResolvedConnection;
}

export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/** A role no server holds at the moment (no primary during a failover): the cell cannot run, the run goes on. */
export class UnheldRoleError extends TargetError {
  constructor(readonly role: string) {
    super(`no server holds role '${role}' now: the servers found at the start of the run gave it to none`);
    this.name = 'UnheldRoleError';
  }
}

/** Turns `-- @on` names (roles, connection names or `all`) into distinct connections, in order. */
export function resolveTargets(
  names: readonly string[],
  bindings: ReadonlyMap<string, RoleBinding>,
  defaultRole: string,
): Target[] {
  const wanted = names.length > 0 ? names : [defaultRole];
  const targets: Target[] = [];
  const seen = new Set<string>();
  const add = (connection: ResolvedConnection, binding?: RoleBinding) => {
    if (seen.has(connection.name)) return;
    seen.add(connection.name);
    if (!binding) targets.push({ connection });
    else targets.push({ role: binding.role, connection, ...(binding.source ? { roleSource: binding.source } : {}) });
  };
  for (const name of wanted) {
    if (name === 'all') {
      for (const binding of bindings.values()) binding.connections.forEach((c) => add(c, binding));
      continue;
    }
    const binding = bindings.get(name);
    if (binding && binding.connections.length === 0) throw new UnheldRoleError(name);
    if (binding) {
      binding.connections.forEach((c) => add(c, binding));
      continue;
    }
    // A round-robin endpoint named directly: every backend seen through it.
    const behind = allConnections(bindings).filter((c) => c.endpoint === name);
    if (behind.length > 0) {
      behind.forEach((c) => add(c));
      continue;
    }
    const direct = findConnection(bindings, name);
    if (!direct) {
      const known = [...bindings.keys(), ...allConnections(bindings).map((c) => c.name)];
      throw new TargetError(
        `'${name}' is neither a role of the profile nor one of its connections${didYouMean(name, known)}; known: ${[...new Set(known)].join(', ')}, all`,
      );
    }
    add(direct);
  }
  return targets;
}

function allConnections(bindings: ReadonlyMap<string, RoleBinding>): ResolvedConnection[] {
  return [...bindings.values()].flatMap((b) => b.connections);
}

function findConnection(bindings: ReadonlyMap<string, RoleBinding>, name: string): ResolvedConnection | undefined {
  return allConnections(bindings).find((c) => c.name === name);
}
