import { didYouMean } from '../util/suggest';
import type { DiscoverySource } from './haManager';
import { ConnectionConfigError, ConnectionsConfig, ConnectionSpec, Profile } from './model';
import { ignoredPasswordWarning, PasswordPlace } from './passwords';
import { checkSslMode, parsePostgresUrl, TLS_FILE_KEYS } from './url';
import { checkTargetSessionAttrs, hostList } from './multiHost';

const STRING_KEYS = [
  'url',
  'service',
  'host',
  'database',
  'user',
  'label',
  'sslmode',
  'password',
  'target_session_attrs',
  ...TLS_FILE_KEYS,
];
const SPEC_KEYS = [...STRING_KEYS, 'port', 'allowWrites'];

export interface ConfigWithWarnings {
  config: ConnectionsConfig;
  warnings: string[];
}

/**
 * Parses and validates a connections JSON file (the same shape as the extension's settings). `pgpassFile`
 * is the pgpass file as warnings name it (pgpassFileLabel).
 */
export function parseConnectionsFile(text: string, fileName: string, pgpassFile = '~/.pgpass'): ConfigWithWarnings {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConnectionConfigError(fileName, `not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(data))
    throw new ConnectionConfigError(fileName, 'expected a JSON object with "connections" and "profiles"');
  return validateConnectionsConfig(data, fileName, pgpassFile);
}

export function validateConnectionsConfig(
  data: Record<string, unknown>,
  where: string,
  pgpassFile = '~/.pgpass',
): ConfigWithWarnings {
  for (const key of Object.keys(data)) {
    if (key !== 'connections' && key !== 'profiles' && key !== 'escalation' && !key.startsWith('$')) {
      throw new ConnectionConfigError(
        where,
        `unknown key "${key}"${didYouMean(key, ['connections', 'profiles', 'escalation'])}`,
      );
    }
  }
  const warnings: string[] = [];
  const connections: Record<string, ConnectionSpec> = {};
  for (const [name, value] of Object.entries(objectAt(data, 'connections', where))) {
    const spec = validateSpec(value, `${where}: connections.${name}`);
    warnings.push(...spec.passwordPlaces.map((place) => ignoredPasswordWarning(spec.where, place, pgpassFile)));
    connections[name] = spec.spec;
  }
  const profiles: Record<string, Profile> = {};
  const discovery: Record<string, DiscoverySource> = {};
  for (const [name, value] of Object.entries(objectAt(data, 'profiles', where))) {
    const { discover, ...roles } = isObject(value) ? value : {};
    const at = `${where}: profiles.${name}`;
    profiles[name] = validateProfile(isObject(value) ? roles : value, at, Object.keys(connections));
    if (discover !== undefined)
      discovery[name] = validateDiscovery(discover, `${where}: profiles.${name}.discover`, Object.keys(connections));
  }
  const escalation = objectAt(data, 'escalation', where) as Record<string, unknown>;
  for (const [type, handle] of Object.entries(escalation)) {
    if (!['eventual', 'strong', 'session', 'causal'].includes(type) || typeof handle !== 'string') {
      throw new ConnectionConfigError(
        `${where}: escalation.${type}`,
        'expected "eventual", "strong", "session" or "causal" mapped to a team handle',
      );
    }
  }
  const config: ConnectionsConfig = { connections, profiles };
  if (Object.keys(discovery).length > 0) config.discovery = discovery;
  if (Object.keys(escalation).length > 0) config.escalation = escalation as Record<string, string>;
  return { config, warnings };
}

interface ValidatedSpec {
  spec: ConnectionSpec;
  where: string;
  passwordPlaces: PasswordPlace[];
}

/** Checks one connection; a password in it is dropped, and where it was is returned for the warning. */
function validateSpec(value: unknown, where: string): ValidatedSpec {
  if (typeof value === 'string') return { spec: { url: value }, where, passwordPlaces: urlPasswordPlaces(value) };
  if (!isObject(value)) throw new ConnectionConfigError(where, 'expected a postgres:// URL or an object');
  for (const key of Object.keys(value)) {
    if (!SPEC_KEYS.includes(key)) {
      throw new ConnectionConfigError(where, `unknown key "${key}"${didYouMean(key, SPEC_KEYS)}`);
    }
  }
  const spec = value as ConnectionSpec;
  expectType(spec, STRING_KEYS, 'string', where);
  expectType(spec, ['allowWrites'], 'boolean', where);
  if (typeof spec.port === 'string' && spec.port.includes(',')) hostList(spec.host ?? '', spec.port, where);
  else if (spec.port !== undefined && !(typeof spec.port === 'number' && validPort(spec.port))) {
    throw new ConnectionConfigError(
      where,
      `port must be a whole number from 1 to 65535, not ${JSON.stringify(spec.port)}`,
    );
  }
  if (spec.target_session_attrs !== undefined) checkTargetSessionAttrs(spec.target_session_attrs, where);
  if (spec.sslmode !== undefined) checkSslMode(spec.sslmode, where);
  const passwordPlaces = spec.url === undefined ? [] : urlPasswordPlaces(spec.url);
  if (spec.password !== undefined) passwordPlaces.push('password-key');
  const { password: _dropped, ...withoutPassword } = spec;
  return { spec: withoutPassword, where, passwordPlaces };
}

/** A URL that does not parse is reported when the connection is resolved; here it only has no password. */
function urlPasswordPlaces(url: string): PasswordPlace[] {
  try {
    return parsePostgresUrl(url, 'url').passwordPlaces;
  } catch {
    return [];
  }
}

function validateProfile(value: unknown, where: string, connectionNames: string[]): Profile {
  if (!isObject(value)) throw new ConnectionConfigError(where, 'expected an object mapping roles to connection names');
  const profile: Profile = {};
  for (const [role, target] of Object.entries(value)) {
    const names = typeof target === 'string' ? [target] : target;
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
      throw new ConnectionConfigError(`${where}.${role}`, 'expected a connection name or a non-empty list of them');
    }
    for (const name of names as string[]) {
      if (!connectionNames.includes(name)) {
        throw new ConnectionConfigError(
          `${where}.${role}`,
          `unknown connection "${name}"${didYouMean(name, connectionNames)}`,
        );
      }
    }
    profile[role] = target as string | string[];
  }
  return profile;
}

/** `discover: { members: [connection names], patroni: [REST API URLs] }`: where undeclared roles are found. */
function validateDiscovery(value: unknown, where: string, connectionNames: string[]): DiscoverySource {
  const expected = 'expected { "members": [connection names], "patroni": [REST API URLs] }';
  if (!isObject(value)) throw new ConnectionConfigError(where, expected);
  const source: DiscoverySource = {};
  for (const [key, list] of Object.entries(value)) {
    if (key !== 'members' && key !== 'patroni')
      throw new ConnectionConfigError(where, `unknown key "${key}"${didYouMean(key, ['members', 'patroni'])}`);
    if (!Array.isArray(list) || list.length === 0 || !list.every((n) => typeof n === 'string'))
      throw new ConnectionConfigError(`${where}.${key}`, 'expected a non-empty list of strings');
    if (key === 'members') {
      const unknown = list.find((n) => !connectionNames.includes(n as string));
      if (unknown !== undefined)
        throw new ConnectionConfigError(
          `${where}.members`,
          `unknown connection "${unknown}"${didYouMean(unknown as string, connectionNames)}`,
        );
    }
    source[key] = list as string[];
  }
  return source;
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port < 65536;
}

function objectAt(data: Record<string, unknown>, key: string, where: string): Record<string, unknown> {
  const value = data[key];
  if (value === undefined) return {};
  if (!isObject(value)) throw new ConnectionConfigError(where, `"${key}" must be an object`);
  return value;
}

function expectType(spec: object, keys: string[], type: string, where: string): void {
  for (const key of keys) {
    const value = (spec as Record<string, unknown>)[key];
    if (value !== undefined && typeof value !== type) {
      throw new ConnectionConfigError(where, `"${key}" must be a ${type}, not ${JSON.stringify(value)}`);
    }
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
