import type { HaManagerView, HaMember } from './haManager';
import type { ConnectionEnvironment, ResolvedConnection } from './model';
import { resolveConnection } from './resolve';

/**
 * The connection that reaches a member only the HA manager names: its host and port, with the template's
 * user, database, sslmode and TLS files (the profile's, so that a member reads as the declared ones do), and
 * its password looked up for that host as libpq would. Named as the manager names it, unless a connection
 * of that name already exists (`pg2@10.0.0.2:5432` then). Writes stay refused whatever the template says:
 * the manager's members are found, not declared writable.
 */
export function haMemberConnection(
  member: HaMember,
  template: ResolvedConnection,
  takenNames: readonly string[],
  environment: ConnectionEnvironment,
): ResolvedConnection {
  const name = takenNames.includes(member.name) ? `${member.name}@${member.host}:${member.port}` : member.name;
  const { database, user, sslmode, tls } = template;
  const files = tls ? { sslrootcert: tls.rootCert, sslcert: tls.cert, sslkey: tls.key, sslcrl: tls.crl } : {};
  const spec = { host: member.host, port: member.port, database, user, sslmode, ...files };
  return resolveConnection(name, spec, environment);
}

/**
 * Every member of the view that no known connection already reaches (same host and port), as connections.
 * Members the manager reports as down are included: discovery then finds them unreachable, which is a
 * finding of its own.
 */
export function haMemberConnections(
  view: HaManagerView,
  template: ResolvedConnection,
  known: readonly ResolvedConnection[],
  environment: ConnectionEnvironment,
): ResolvedConnection[] {
  const added: ResolvedConnection[] = [];
  for (const member of view.members) {
    const all = [...known, ...added];
    if (all.some((c) => c.host === member.host && c.port === member.port)) continue;
    added.push(
      haMemberConnection(
        member,
        template,
        all.map((c) => c.name),
        environment,
      ),
    );
  }
  return added;
}
