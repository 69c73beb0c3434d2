import { ConnectionConfigError, ConnectionSpec, SSL_MODES, SslMode } from './model';
import type { PasswordPlace } from './passwords';
import { checkTargetSessionAttrs } from './multiHost';

export interface ParsedUrl {
  spec: ConnectionSpec;
  /** True when the URL carried a password, which is dropped and warned about. */
  hadPassword: boolean;
  /** Where in the URL the dropped password was written. */
  passwordPlaces: PasswordPlace[];
}

/** The libpq keywords a URL query may set (besides host and sslmode), each a plain string. */
export const TLS_FILE_KEYS = ['sslrootcert', 'sslcert', 'sslkey', 'sslcrl'] as const;

/**
 * Parses a libpq-style `postgres://user@host:port/db?sslmode=...` URL into a spec, dropping any password;
 * its host part may list several (`h1:5432,h2:5433`), as libpq's may. A string without a scheme is read
 * as libpq's `keyword=value` form.
 */
export function parsePostgresUrl(url: string, where: string): ParsedUrl {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url.trim()) && url.includes('=')) return parseConninfo(url, where);
  const listed = multiHostAuthority(url);
  let parsed: URL;
  try {
    parsed = new URL(listed ? listed.url : url);
  } catch {
    throw new ConnectionConfigError(where, `not a valid URL; expected postgres://user@host:port/database`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConnectionConfigError(where, `URL scheme '${parsed.protocol}' is not postgres:// or postgresql://`);
  }
  const spec: ConnectionSpec = {};
  const host = decodeURIComponent(parsed.hostname) || parsed.searchParams.get('host') || undefined;
  if (host) spec.host = host;
  if (parsed.port) spec.port = Number(parsed.port);
  if (listed) Object.assign(spec, listed.hosts);
  const attrs = parsed.searchParams.get('target_session_attrs');
  if (attrs !== null) spec.target_session_attrs = checkTargetSessionAttrs(attrs, where);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database) spec.database = database;
  if (parsed.username) spec.user = decodeURIComponent(parsed.username);
  const sslmode = parsed.searchParams.get('sslmode');
  if (sslmode !== null) spec.sslmode = checkSslMode(sslmode, where);
  for (const key of TLS_FILE_KEYS) {
    const value = parsed.searchParams.get(key);
    if (value) spec[key] = value;
  }
  const passwordPlaces: PasswordPlace[] = [];
  if (parsed.password !== '') passwordPlaces.push('url-userinfo');
  if (parsed.searchParams.has('password')) passwordPlaces.push('url-query');
  return { spec, hadPassword: passwordPlaces.length > 0, passwordPlaces };
}

/** `user@h1:5432,h2:5433` as one placeholder host the URL parser takes, and the list as libpq's host/port. */
function multiHostAuthority(url: string): { url: string; hosts: { host: string; port?: string } } | undefined {
  const match = /^([a-z]+:\/\/)([^/?#]*)(.*)$/i.exec(url);
  if (!match) return undefined;
  const [, scheme = '', authority = '', rest = ''] = match;
  const at = authority.lastIndexOf('@');
  const hostPart = authority.slice(at + 1);
  if (!hostPart.includes(',')) return undefined;
  const entries = hostPart.split(',').map((entry) => {
    const bracket = /^\[([^\]]*)\](?::(\d*))?$/.exec(entry);
    if (bracket) return { host: bracket[1] ?? '', port: bracket[2] ?? '' };
    const colon = entry.lastIndexOf(':');
    return colon < 0 ? { host: entry, port: '' } : { host: entry.slice(0, colon), port: entry.slice(colon + 1) };
  });
  const ports = entries.map((e) => e.port);
  const hosts = { host: entries.map((e) => decodeURIComponent(e.host)).join(',') };
  const withPorts = ports.some(Boolean) ? { ...hosts, port: ports.join(',') } : hosts;
  return { url: `${scheme}${authority.slice(0, at + 1)}multihost.invalid${rest}`, hosts: withPorts };
}

const CONNINFO_KEYS: Record<string, keyof ConnectionSpec> = {
  host: 'host',
  port: 'port',
  dbname: 'database',
  user: 'user',
  sslmode: 'sslmode',
  target_session_attrs: 'target_session_attrs',
  sslrootcert: 'sslrootcert',
  sslcert: 'sslcert',
  sslkey: 'sslkey',
  sslcrl: 'sslcrl',
};

/** libpq's `host=h1,h2 port=5432,5433 dbname=app` form (values may be single-quoted, with \\ and \\' escapes). */
function parseConninfo(text: string, where: string): ParsedUrl {
  const spec: ConnectionSpec = {};
  const passwordPlaces: PasswordPlace[] = [];
  const pattern = /\s*([a-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S*))/gy;
  let match: RegExpExecArray | null;
  let end = 0;
  while ((match = pattern.exec(text)) !== null) {
    end = pattern.lastIndex;
    const [, key = '', quoted, plain] = match;
    const value = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (plain ?? '');
    if (key === 'password') passwordPlaces.push('url-query');
    else if (CONNINFO_KEYS[key]) (spec as Record<string, string>)[CONNINFO_KEYS[key]] = value;
    else throw new ConnectionConfigError(where, `connection string keyword '${key}' is not one cnbook reads`);
  }
  if (text.slice(end).trim() !== '')
    throw new ConnectionConfigError(where, `cannot read the connection string after '${text.slice(0, end).trim()}'`);
  if (spec.port !== undefined && !String(spec.port).includes(',')) spec.port = Number(spec.port);
  if (spec.sslmode !== undefined) checkSslMode(spec.sslmode, where);
  if (spec.target_session_attrs !== undefined) checkTargetSessionAttrs(spec.target_session_attrs, where);
  return { spec, hadPassword: passwordPlaces.length > 0, passwordPlaces };
}

export function checkSslMode(value: string, where: string): SslMode {
  if (!(SSL_MODES as readonly string[]).includes(value)) {
    throw new ConnectionConfigError(where, `sslmode '${value}' is not one of ${SSL_MODES.join(', ')}`);
  }
  return value as SslMode;
}
