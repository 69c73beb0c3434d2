import { didYouMean } from '../util/suggest';
import {
  ConnectionConfigError,
  ConnectionEnvironment,
  ConnectionsConfig,
  ConnectionSpec,
  ResolvedConnection,
  RoleBinding,
} from './model';
import { ignoredPasswordWarning, pgpassFileLabel, pgpassFilePath } from './passwords';
import { findPgpassPassword, parsePgpass } from './pgpass';
import { parseServiceFile, serviceFilePaths } from './service';
import { resolveTlsFiles, settleSslMode } from './tls';
import { checkSslMode, parsePostgresUrl, TLS_FILE_KEYS } from './url';
import { checkTargetSessionAttrs, hostList } from './multiHost';

/** Settles every libpq parameter of a connection: service file, then URL, then explicit keys, then PG* defaults. */
export function resolveConnection(
  name: string,
  spec: ConnectionSpec,
  environment: ConnectionEnvironment,
): ResolvedConnection {
  const where = `connection "${name}"`;
  const env = environment.env;
  const warnings: string[] = [];
  const fromService = spec.service ? serviceParameters(spec.service, environment, where, warnings) : {};
  const fromUrl = spec.url ? parsePostgresUrl(spec.url, where).spec : {};
  const merged: ConnectionSpec = { ...fromService, ...fromUrl, ...withoutUndefined(spec) };
  const tls = resolveTlsFiles(merged, env, environment.homeDir);
  const givenMode = merged.sslmode ?? (env.PGSSLMODE ? checkSslMode(env.PGSSLMODE, 'PGSSLMODE') : undefined);
  const hosts = hostList(merged.host ?? env.PGHOST ?? 'localhost', merged.port ?? env.PGPORT, where);
  const first = hosts[0] ?? { host: 'localhost', port: 5432 };
  const attrs = merged.target_session_attrs ?? env.PGTARGETSESSIONATTRS;
  const resolved: ResolvedConnection = {
    name,
    host: first.host,
    port: first.port,
    user: merged.user ?? env.PGUSER ?? environment.osUser,
    database: '',
    sslmode: settleSslMode(givenMode, tls, where),
    allowWrites: merged.allowWrites ?? false,
    passwordSource: 'none',
    pgpassFile: pgpassFileLabel(env),
    tls,
    warnings,
  };
  resolved.database = merged.database ?? env.PGDATABASE ?? resolved.user;
  if (merged.label) resolved.label = merged.label;
  if (hosts.length > 1) resolved.hosts = hosts;
  if (attrs && attrs !== 'any') resolved.targetSessionAttrs = checkTargetSessionAttrs(attrs, where);
  resolved.passwordSource = lookupPassword(resolved, environment).source;
  return resolved;
}

/** The first service file that has the service; a password in it is ignored, with the one warning. */
function serviceParameters(
  service: string,
  environment: ConnectionEnvironment,
  where: string,
  warnings: string[],
): ConnectionSpec {
  const paths = serviceFilePaths(environment.env, environment.homeDir);
  for (const path of paths) {
    const text = environment.readTextFile(path);
    const params = text === undefined ? undefined : parseServiceFile(text)[service];
    if (!params) continue;
    const spec: ConnectionSpec = {};
    if (params.host) spec.host = params.host;
    if (params.port) spec.port = Number(params.port);
    if (params.dbname) spec.database = params.dbname;
    if (params.user) spec.user = params.user;
    if (params.sslmode) spec.sslmode = checkSslMode(params.sslmode, `${path} [${service}]`);
    for (const key of TLS_FILE_KEYS) if (params[key]) spec[key] = params[key];
    if (params.password !== undefined) {
      warnings.push(
        ignoredPasswordWarning(`${where} (${path} [${service}])`, 'service-file', pgpassFileLabel(environment.env)),
      );
    }
    return spec;
  }
  throw new ConnectionConfigError(where, `service "${service}" not found in ${paths.join(' or ')}`);
}

/** The warnings of every connection a profile binds, once each. */
export function bindingWarnings(bindings: Map<string, RoleBinding>): string[] {
  const all = [...bindings.values()].flatMap((b) => b.connections.flatMap((c) => c.warnings ?? []));
  return [...new Set(all)];
}

export interface PasswordLookup {
  password?: string;
  source: ResolvedConnection['passwordSource'];
}

/** PGPASSWORD first, then the pgpass file, as libpq does. SecretStorage is the extension's business. */
export function lookupPassword(conn: ResolvedConnection, environment: ConnectionEnvironment): PasswordLookup {
  const fromEnv = environment.env.PGPASSWORD;
  if (fromEnv) return { password: fromEnv, source: 'environment' };
  const path = pgpassFilePath(environment.env, environment.homeDir);
  const text = environment.readTextFile(path);
  if (text === undefined) return { source: 'none' };
  // libpq ignores a pgpass file that others can read; so do we, so both behave alike.
  const mode = environment.fileMode?.(path);
  if (mode !== undefined && (mode & 0o077) !== 0) return { source: 'none' };
  const password = findPgpassPassword(parsePgpass(text), conn);
  return password === undefined ? { source: 'none' } : { password, source: 'pgpass' };
}

/** Binds each role the runbook needs to the profile's connections. */
export function resolveProfile(
  config: ConnectionsConfig,
  profileName: string,
  roles: readonly string[],
  environment: ConnectionEnvironment,
): Map<string, RoleBinding> {
  const profile = config.profiles[profileName];
  if (!profile) {
    const names = Object.keys(config.profiles);
    throw new ConnectionConfigError(
      `profile "${profileName}"`,
      `not defined${didYouMean(profileName, names)}; defined profiles: ${names.join(', ') || 'none'}`,
    );
  }
  const bindings = new Map<string, RoleBinding>();
  for (const [role, target] of Object.entries(profile)) {
    const names = typeof target === 'string' ? [target] : target;
    const connections = names.map((name) => {
      const spec = config.connections[name];
      if (!spec) throw new ConnectionConfigError(`profile "${profileName}".${role}`, `unknown connection "${name}"`);
      return resolveConnection(name, spec, environment);
    });
    bindings.set(role, { role, connections });
  }
  const missing = roles.filter((role) => !bindings.has(role));
  if (missing.length > 0) {
    throw new ConnectionConfigError(
      `profile "${profileName}"`,
      `has no connection for role${missing.length > 1 ? 's' : ''} ${missing.map((r) => `"${r}"`).join(', ')} that the runbook needs` +
        `${didYouMean(missing[0] ?? '', [...bindings.keys()])}; it maps: ${[...bindings.keys()].join(', ') || 'nothing'}`,
    );
  }
  return bindings;
}

function withoutUndefined(spec: ConnectionSpec): ConnectionSpec {
  const { url: _url, service: _service, ...rest } = spec;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as ConnectionSpec;
}
