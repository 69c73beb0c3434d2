import * as fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { ResolvedConnection, TlsFiles } from '../core/connections/model';
import { FileFacts, planTls, SYSTEM_ROOTS, TlsPlan, TlsSetupError } from '../core/connections/tls';

/** What node-postgres takes as `ssl` for one attempt: false for plain, else Node's TLS options. */
export type SslAttempt = false | ConnectionOptions;

export interface SslAttempts {
  attempts: SslAttempt[];
  /** The plan behind the TLS attempts, for error messages (which CA file, whether a certificate was sent). */
  plan?: TlsPlan;
}

/** libpq's sslmode, as far as node-postgres can follow it ("prefer" tries TLS, then plain). */
export function sslAttempts(connection: ResolvedConnection): SslAttempts {
  if (connection.sslmode === 'disable') return { attempts: [false] };
  const plan = planTls(connection.sslmode, connection.tls ?? NO_FILES, fileFacts);
  const tls = tlsOptions(plan);
  switch (connection.sslmode) {
    case 'allow':
      return { attempts: [false, tls], plan };
    case 'prefer':
      return { attempts: [tls, false], plan };
    default:
      return { attempts: [tls], plan };
  }
}

/** A connection made without resolution (tests, the sandbox) uses no TLS files, as if none existed. */
const NO_FILES: TlsFiles = { rootCert: '', cert: '', key: '', crl: '' };

function tlsOptions(plan: TlsPlan): ConnectionOptions {
  // Without a root certificate libpq checks nothing (sslmode=require): the handshake only encrypts.
  const options: ConnectionOptions = { rejectUnauthorized: plan.trust !== undefined };
  if (plan.trust !== undefined && plan.trust !== SYSTEM_ROOTS) options.ca = readRootCertificates(plan.trust);
  if (plan.crl) options.crl = readTlsFile(plan.crl);
  // verify-ca (and require with a root certificate) checks the chain only, not whose certificate it is.
  if (!plan.verifyHostName) options.checkServerIdentity = () => undefined;
  if (plan.client) {
    options.cert = readTlsFile(plan.client.cert);
    options.key = readTlsFile(plan.client.key);
  }
  return options;
}

/** Node silently trusts nothing from a file without certificates; libpq refuses it, and so do we. */
function readRootCertificates(path: string): Buffer {
  const text = readTlsFile(path);
  if (text.includes('-----BEGIN CERTIFICATE-----')) return text;
  throw new TlsSetupError('bad-tls-file', path, `root certificate file "${path}" holds no PEM certificate`);
}

function readTlsFile(path: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new TlsSetupError('unreadable-file', path, `could not read TLS file "${path}": ${code}`);
  }
}

function fileFacts(path: string): FileFacts | undefined {
  if (path === '') return undefined;
  try {
    const stat = fs.statSync(path);
    return { isFile: stat.isFile(), mode: stat.mode & 0o777, uid: stat.uid };
  } catch {
    return undefined;
  }
}
