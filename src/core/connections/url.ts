import { ConnectionConfigError, ConnectionSpec, SSL_MODES, SslMode } from './model';
import type { PasswordPlace } from './passwords';

export interface ParsedUrl {
  spec: ConnectionSpec;
  /** True when the URL carried a password, which is dropped and warned about. */
  hadPassword: boolean;
  /** Where in the URL the dropped password was written. */
  passwordPlaces: PasswordPlace[];
}

/** The libpq keywords a URL query may set (besides host and sslmode), each a plain string. */
export const TLS_FILE_KEYS = ['sslrootcert', 'sslcert', 'sslkey', 'sslcrl'] as const;

/** Parses a libpq-style `postgres://user@host:port/db?sslmode=...` URL into a spec, dropping any password. */
export function parsePostgresUrl(url: string, where: string): ParsedUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
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

export function checkSslMode(value: string, where: string): SslMode {
  if (!(SSL_MODES as readonly string[]).includes(value)) {
    throw new ConnectionConfigError(where, `sslmode '${value}' is not one of ${SSL_MODES.join(', ')}`);
  }
  return value as SslMode;
}
