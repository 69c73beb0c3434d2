import type { ResolvedConnection } from '../core/connections/model';
import { SYSTEM_ROOTS, TlsPlan, TlsSetupError } from '../core/connections/tls';
import { SqlError, TlsFailure } from '../core/sql/errors';

interface PgLikeError extends Error {
  /** Set by Node on ERR_TLS_CERT_ALTNAME_INVALID: the name checked and the server's certificate. */
  host?: string;
  cert?: { subject?: { CN?: string }; subjectaltname?: string };
  code?: string;
  detail?: string;
  hint?: string;
  position?: string;
  where?: string;
  errno?: number;
  syscall?: string;
}

const CONNECT_HINTS: Record<string, string> = {
  ECONNREFUSED: 'connection refused: is the server running and listening on that address and port?',
  ENOTFOUND: 'host name not found (DNS)',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'timed out at the network level',
  ECONNRESET: 'the server closed the connection',
  ENOENT: 'no Unix socket at that path: is the server running?',
};

/** What the driver knows about a failed attempt besides the error itself. */
export interface ConnectAttempt {
  /** The plan the TLS handshake followed, when there was one. */
  tls?: TlsPlan;
  /** The server asked for a password and none was found. */
  passwordMissing?: boolean;
}

/** Turns a failure to open a session into a message that names the connection and what to do. */
export function connectError(
  error: unknown,
  conn: ResolvedConnection,
  timeoutMs: number,
  attempt: ConnectAttempt = {},
): SqlError {
  const tls = attempt.tls;
  const e = error as PgLikeError;
  const where = `${conn.name} (${conn.user}@${conn.host}:${conn.port}/${conn.database})`;
  if (error instanceof TlsSetupError) {
    return new SqlError({
      kind: 'connection',
      tlsFailure: error.problem,
      message: `could not connect to ${where}: ${error.message}`,
    });
  }
  const tlsFailure = tlsFailureOf(e.code);
  if (tlsFailure) {
    return new SqlError({
      kind: 'connection',
      tlsFailure,
      message: `could not connect to ${where}: ${tlsMessage(tlsFailure, e, conn, tls)}`,
    });
  }
  if (attempt.passwordMissing && !isSqlState(e.code)) {
    return new SqlError({
      kind: 'connection',
      message: `could not log in to ${where}: the server asks for a password and none was found`,
      hint: loginHint(conn),
    });
  }
  if (e.code === '28P01' || e.code === '28000') {
    const hint =
      e.code === '28000' && tls && !tls.client ? `${loginHint(conn)} ${certificateHint(conn)}` : loginHint(conn);
    return new SqlError({
      kind: 'connection',
      sqlstate: e.code,
      message: `could not log in to ${where}: ${e.message}`,
      hint,
    });
  }
  if (/timeout/i.test(e.message ?? '')) {
    return new SqlError({
      kind: 'connection',
      message: `could not connect to ${where}: no answer within ${timeoutMs} ms (connect timeout)`,
    });
  }
  const reason = (e.code && CONNECT_HINTS[e.code]) ?? e.message;
  return new SqlError({
    kind: 'connection',
    sqlstate: isSqlState(e.code) ? e.code : undefined,
    message: `could not connect to ${where}: ${reason}`,
  });
}

/** Where the password came from, naming the pgpass file actually read (PGPASSFILE when set). */
function loginHint(conn: ResolvedConnection): string {
  const pgpass = conn.pgpassFile ?? '~/.pgpass';
  if (conn.passwordSource === 'none')
    return `No password was found: add one to ${pgpass} (mode 0600) or set PGPASSWORD.`;
  const source =
    conn.passwordSource === 'pgpass'
      ? pgpass
      : conn.passwordSource === 'environment'
        ? 'PGPASSWORD'
        : 'the stored secret';
  return `The password came from ${source}; check it there.`;
}

/** A login refused over TLS without a client certificate may be a pg_hba `cert` line wanting one. */
function certificateHint(conn: ResolvedConnection): string {
  const looked = conn.tls ? ` (none at ${conn.tls.cert})` : '';
  return (
    `No client certificate was offered${looked}: if the server wants one, ` +
    'set sslcert and sslkey (or PGSSLCERT, PGSSLKEY).'
  );
}

/** Maps an error raised while a statement ran; `cancelled`/`timedOut` say whether we asked for the cancel. */
export function statementError(
  error: unknown,
  conn: ResolvedConnection,
  why: { cancelled: boolean; timedOutMs?: number },
): SqlError {
  const e = error as PgLikeError;
  if (!isSqlState(e.code)) {
    return new SqlError({
      kind: 'connection',
      message: `lost the connection to ${conn.name} (${conn.host}:${conn.port}) during the query: ${e.message}`,
    });
  }
  const fields = {
    sqlstate: e.code,
    message: e.message,
    detail: e.detail,
    hint: e.hint,
    position: e.position ? Number(e.position) : undefined,
    where: e.where,
  };
  if (e.code === '57014' && why.timedOutMs !== undefined) {
    return new SqlError({
      ...fields,
      kind: 'timeout',
      message: `statement timed out after ${why.timedOutMs} ms on ${conn.name} and was cancelled on the server`,
    });
  }
  if (e.code === '57014' && why.cancelled)
    return new SqlError({ ...fields, kind: 'cancelled', message: `cancelled on ${conn.name}: ${e.message}` });
  if (e.code === '57014') return new SqlError({ ...fields, kind: 'timeout' });
  if (e.code === '55P03') return new SqlError({ ...fields, kind: 'timeout' });
  if (e.code === '25006') {
    return new SqlError({
      ...fields,
      kind: 'refused',
      hint: 'cnbook runs SQL read-only. A cell that must write says `-- @write`, and its connection must set "allowWrites": true.',
    });
  }
  if (e.code?.startsWith('57P') || e.code?.startsWith('08')) return new SqlError({ ...fields, kind: 'connection' });
  return new SqlError({ ...fields, kind: 'server' });
}

/** The server did not answer a cancel within the grace, and its connection was dropped. */
export function notResponding(
  conn: ResolvedConnection,
  graceMs: number,
  timedOutMs: number | undefined,
  cancelled: boolean,
): SqlError {
  const after = timedOutMs !== undefined ? `after the ${timedOutMs} ms timeout` : 'after a cancel';
  return new SqlError({
    kind: cancelled && timedOutMs === undefined ? 'cancelled' : 'timeout',
    notResponding: true,
    message:
      `server not responding: ${conn.name} (${conn.host}:${conn.port}) did not answer a cancel within ` +
      `${graceMs} ms ${after}, so the connection was dropped`,
    hint: 'The server may be stopped, overloaded or cut off; the query may still be running there.',
  });
}

function isSqlState(code: string | undefined): code is string {
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code);
}

/** Node's (OpenSSL's) codes for a handshake that failed, by what went wrong. */
const TLS_CODES: Record<string, TlsFailure> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted-certificate',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted-certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted-certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted-certificate',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted-certificate',
  CERT_SIGNATURE_FAILURE: 'untrusted-certificate',
  CERT_UNTRUSTED: 'untrusted-certificate',
  CERT_CHAIN_TOO_LONG: 'untrusted-certificate',
  INVALID_CA: 'untrusted-certificate',
  ERR_TLS_CERT_ALTNAME_INVALID: 'host-name-mismatch',
  CERT_HAS_EXPIRED: 'certificate-expired',
  CERT_NOT_YET_VALID: 'certificate-not-yet-valid',
  CERT_REVOKED: 'certificate-revoked',
  UNABLE_TO_GET_CRL: 'revocation-list',
  CRL_HAS_EXPIRED: 'revocation-list',
  CRL_NOT_YET_VALID: 'revocation-list',
  CRL_SIGNATURE_FAILURE: 'revocation-list',
  ERR_OSSL_X509_KEY_VALUES_MISMATCH: 'client-key-mismatch',
  // What Node says when a CRL file does not parse.
  ERR_CRYPTO_OPERATION_FAILED: 'bad-tls-file',
};

function tlsFailureOf(code: string | undefined): TlsFailure | undefined {
  if (code === undefined) return undefined;
  if (TLS_CODES[code]) return TLS_CODES[code];
  // OpenSSL's "could not decode this PEM/DER file" family, raised while the secure context is built.
  return /^ERR_OSSL_(PEM|ASN1|UNSUPPORTED|X509)_/.test(code) ? 'bad-tls-file' : undefined;
}

function tlsMessage(failure: TlsFailure, e: PgLikeError, conn: ResolvedConnection, tls: TlsPlan | undefined): string {
  const trusted = tls?.trust === SYSTEM_ROOTS ? "the system's trusted roots" : (tls?.trust ?? 'the trusted CAs');
  const code = ` (${e.code})`;
  switch (failure) {
    case 'untrusted-certificate':
      return `server certificate not signed by a CA in ${trusted}${code}`;
    case 'host-name-mismatch':
      return (
        `server certificate is for ${certificateNames(e)}, not ${e.host ?? conn.host} ` +
        '(sslmode=verify-full checks the host name; verify-ca does not)'
      );
    case 'certificate-expired':
      return `server certificate has expired${code}`;
    case 'certificate-not-yet-valid':
      return `server certificate is not valid yet (check the clocks)${code}`;
    case 'certificate-revoked':
      return `server certificate is revoked in ${tls?.crl ?? 'the revocation list'}${code}`;
    case 'revocation-list':
      return `revocation list ${tls?.crl ?? ''} cannot be used to check the server certificate${code}`;
    case 'client-key-mismatch':
      return `client key ${tls?.client?.key ?? ''} does not belong to certificate ${tls?.client?.cert ?? ''}${code}`;
    default: {
      const files = [tls?.trust, tls?.crl, tls?.client?.cert, tls?.client?.key].filter(Boolean);
      return `a TLS file (one of ${files.join(', ')}) is not a valid certificate, key or list${code}`;
    }
  }
}

/** The names a certificate is for: its subjectAltName entries (Node's "DNS:a, IP Address:b"), else its CN. */
function certificateNames(e: PgLikeError): string {
  const alt = e.cert?.subjectaltname;
  if (alt)
    return alt
      .split(', ')
      .map((entry) => entry.replace(/^(DNS|IP Address):/, ''))
      .join(', ');
  return e.cert?.subject?.CN ?? 'another host';
}
