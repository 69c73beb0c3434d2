import { ConnectionConfigError, type ResolvedConnection } from './model';

/** libpq's target_session_attrs: which of the listed hosts a session may settle on. */
export const TARGET_SESSION_ATTRS = ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'] as const;
export type TargetSessionAttrs = (typeof TARGET_SESSION_ATTRS)[number];

export interface HostPort {
  host: string;
  port: number;
}

export function checkTargetSessionAttrs(value: string, where: string): TargetSessionAttrs {
  if (!(TARGET_SESSION_ATTRS as readonly string[]).includes(value))
    throw new ConnectionConfigError(
      where,
      `target_session_attrs '${value}' is not one of ${TARGET_SESSION_ATTRS.join(', ')}`,
    );
  return value as TargetSessionAttrs;
}

/**
 * libpq's host and port lists: `h1,h2` with `5432,5433` (one port each) or one port for all; an empty
 * entry takes the default. Returns the hosts in order.
 */
export function hostList(hosts: string, ports: string | number | undefined, where: string): HostPort[] {
  const names = hosts.split(',').map((h) => h.trim());
  const given =
    ports === undefined
      ? []
      : String(ports)
          .split(',')
          .map((p) => p.trim());
  if (given.length > 1 && given.length !== names.length)
    throw new ConnectionConfigError(
      where,
      `${given.length} ports for ${names.length} hosts; give one port, or one per host`,
    );
  return names.map((name, i) => {
    const text = given.length > 1 ? given[i] : given[0];
    const port = text ? Number(text) : 5432;
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new ConnectionConfigError(where, `port must be a whole number from 1 to 65535, not '${text}'`);
    return { host: name || 'localhost', port };
  });
}

/** Whether a server in that state is one the session may settle on (cnbook's sessions are read-only by design,
 * so read-write and read-only are decided on recovery, as primary and standby are). */
export function acceptsServer(attrs: TargetSessionAttrs, inRecovery: boolean): boolean {
  if (attrs === 'any') return true;
  if (attrs === 'read-write' || attrs === 'primary') return !inRecovery;
  return inRecovery;
}

/**
 * The passes libpq makes over the hosts: each host in order, checked against the attribute; prefer-standby
 * first looks for a standby, then takes any host.
 */
export function hostPasses(attrs: TargetSessionAttrs): TargetSessionAttrs[] {
  return attrs === 'prefer-standby' ? ['standby', 'any'] : [attrs];
}

/** One connection per host, each with that host alone (what a driver without multi-host opens). */
export function perHost(connection: ResolvedConnection): ResolvedConnection[] {
  const hosts = connection.hosts ?? [{ host: connection.host, port: connection.port }];
  return hosts.map(({ host, port }) => {
    const { hosts: _all, targetSessionAttrs: _attrs, ...single } = connection;
    return { ...single, host, port };
  });
}

/** Whether opening this connection means choosing a host (several listed, or an attribute to check). */
export function choosesHost(connection: ResolvedConnection): boolean {
  return (connection.hosts?.length ?? 1) > 1 || (connection.targetSessionAttrs ?? 'any') !== 'any';
}
