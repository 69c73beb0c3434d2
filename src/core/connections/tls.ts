import { ConnectionConfigError, ConnectionSpec, SslMode, TlsFiles } from './model';

/** The word libpq 16 takes in sslrootcert for the platform's trusted CAs instead of a file. */
export const SYSTEM_ROOTS = 'system';

/** Each file from the connection's own parameter, then its PG* variable, then libpq's ~/.postgresql default. */
export function resolveTlsFiles(
  spec: ConnectionSpec,
  env: Record<string, string | undefined>,
  homeDir: string,
): TlsFiles {
  const dir = `${homeDir}/.postgresql`;
  return {
    rootCert: spec.sslrootcert || env.PGSSLROOTCERT || `${dir}/root.crt`,
    cert: spec.sslcert || env.PGSSLCERT || `${dir}/postgresql.crt`,
    key: spec.sslkey || env.PGSSLKEY || `${dir}/postgresql.key`,
    crl: spec.sslcrl || env.PGSSLCRL || `${dir}/root.crl`,
  };
}

/**
 * sslmode when none is given: `verify-full` with sslrootcert=system, else `prefer`; with the system's roots
 * a weaker mode is refused, as libpq 16 does, since any public CA could then vouch for any server.
 */
export function settleSslMode(given: SslMode | undefined, files: TlsFiles, where: string): SslMode {
  if (files.rootCert !== SYSTEM_ROOTS) return given ?? 'prefer';
  if (given === undefined || given === 'verify-full') return 'verify-full';
  throw new ConnectionConfigError(
    where,
    `sslmode "${given}" may not be used with sslrootcert=system (use "verify-full"): ` +
      'any public CA could vouch for the server',
  );
}

/** What the driver needs to know about a file, or undefined when there is none at that path. */
export interface FileFacts {
  isFile: boolean;
  mode: number;
  uid: number;
}

export type TlsSetupProblem =
  'missing-root-cert' | 'missing-key' | 'key-not-a-file' | 'key-permissions' | 'unreadable-file' | 'bad-tls-file';

export class TlsSetupError extends Error {
  constructor(
    readonly problem: TlsSetupProblem,
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'TlsSetupError';
  }
}

/** How one TLS handshake is to go, decided from sslmode and which files exist (libpq's rules). */
export interface TlsPlan {
  /** CAs the server's chain must lead to; undefined: the chain is not checked (require without a root cert). */
  trust?: string;
  verifyHostName: boolean;
  /** Revocation list, used only when the chain is checked. */
  crl?: string;
  /** The client certificate and key offered, when the certificate file exists. */
  client?: { cert: string; key: string };
}

/**
 * libpq's rules: a root certificate that exists is used in every mode (so `require` then checks the chain,
 * like `verify-ca`); verify-ca and verify-full without one fail; a client certificate is offered when its
 * file exists, and then its key must exist and be private.
 */
export function planTls(mode: SslMode, files: TlsFiles, stat: (path: string) => FileFacts | undefined): TlsPlan {
  const plan: TlsPlan = { verifyHostName: mode === 'verify-full' };
  const verifying = mode === 'verify-ca' || mode === 'verify-full';
  if (files.rootCert === SYSTEM_ROOTS || stat(files.rootCert)) plan.trust = files.rootCert;
  else if (verifying) {
    throw new TlsSetupError(
      'missing-root-cert',
      files.rootCert,
      `root certificate file "${files.rootCert}" does not exist; sslmode=${mode} needs it to check the ` +
        "server. Provide the file (sslrootcert or PGSSLROOTCERT), use the system's trusted roots with " +
        'sslrootcert=system, or choose an sslmode that does not verify the server.',
    );
  }
  if (plan.trust !== undefined && stat(files.crl)) plan.crl = files.crl;
  if (stat(files.cert)) {
    const key = stat(files.key);
    if (!key)
      throw new TlsSetupError(
        'missing-key',
        files.key,
        `certificate present ("${files.cert}"), but not private key file "${files.key}"`,
      );
    checkPrivateKeyFile(files.key, key);
    plan.client = { cert: files.cert, key: files.key };
  }
  return plan;
}

/**
 * libpq refuses a key others could read: mode 0600 or less, or 0640 or less when root owns it (so a
 * group can share system-wide keys).
 */
export function checkPrivateKeyFile(path: string, facts: FileFacts): void {
  if (!facts.isFile)
    throw new TlsSetupError('key-not-a-file', path, `private key file "${path}" is not a regular file`);
  const forbidden = facts.uid === 0 ? 0o037 : 0o077;
  if ((facts.mode & forbidden) === 0) return;
  const octal = (facts.mode & 0o777).toString(8).padStart(4, '0');
  throw new TlsSetupError(
    'key-permissions',
    path,
    `private key file "${path}" has group or world access (mode ${octal}); it must be u=rw (0600) or less ` +
      'if owned by the current user, or u=rw,g=r (0640) or less if owned by root: chmod 600 it',
  );
}
