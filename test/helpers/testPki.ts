/**
 * A private PKI made with the `openssl` program for the TLS tests: a CA, a second CA nobody trusts, server
 * certificates and a client certificate, all short-lived, in a folder the caller removes.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface KeyPair {
  crt: string;
  key: string;
}

export interface TestPki {
  dir: string;
  ca: KeyPair;
  /** A CA that signed nothing the server shows. */
  otherCa: KeyPair;
  /** For 127.0.0.1 and localhost. */
  server: KeyPair;
  /** For localhost only: connecting to 127.0.0.1 with it is a host-name mismatch. */
  localhostOnly: KeyPair;
  /** For 127.0.0.1, valid for one day in 2020 only. */
  expired: KeyPair;
  /** CN=<clientUser>, for a pg_hba `cert` login. */
  client: KeyPair;
}

export function openSslAvailable(): boolean {
  return spawnSync('openssl', ['version']).status === 0;
}

export function makeTestPki(dir: string, clientUser: string): TestPki {
  fs.mkdirSync(dir, { recursive: true });
  const ca = makeCa(dir, 'ca', 'cnbook test CA');
  const otherCa = makeCa(dir, 'other-ca', 'cnbook untrusted CA');
  const pki = { dir, ca, otherCa };
  return {
    ...pki,
    server: makeLeaf(pki, 'server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost'),
    localhostOnly: makeLeaf(pki, 'localhost-only', 'localhost', 'subjectAltName=DNS:localhost'),
    expired: makeLeaf(pki, 'expired', 'localhost', 'subjectAltName=IP:127.0.0.1', [
      '20200101000000Z',
      '20200102000000Z',
    ]),
    client: makeLeaf(pki, 'client', clientUser, 'extendedKeyUsage=clientAuth'),
  };
}

const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string, commonName: string): KeyPair {
  const pair = pairIn(dir, name);
  openssl([
    'req',
    '-x509',
    ...NEW_KEY,
    '-keyout',
    pair.key,
    '-out',
    pair.crt,
    '-days',
    '2',
    '-subj',
    `/CN=${commonName}`,
  ]);
  return pair;
}

type CaParts = Pick<TestPki, 'dir' | 'ca'>;

/** Signed by `pki.ca` through `openssl ca`, whose database also serves the revocation lists. */
function makeLeaf(
  pki: CaParts,
  name: string,
  commonName: string,
  extension: string,
  dates?: [string, string],
): KeyPair {
  const pair = pairIn(pki.dir, name);
  const csr = path.join(pki.dir, `${name}.csr`);
  const extFile = path.join(pki.dir, `${name}.ext`);
  fs.writeFileSync(extFile, `${extension}\n`);
  openssl(['req', ...NEW_KEY, '-keyout', pair.key, '-out', csr, '-subj', `/CN=${commonName}`]);
  const validity = dates ? ['-startdate', dates[0], '-enddate', dates[1]] : ['-days', '2'];
  openssl(['ca', '-batch', ...caArgs(pki), '-in', csr, '-out', pair.crt, '-extfile', extFile, ...validity]);
  return pair;
}

/** A revocation list from `pki.ca` revoking `revoked` (and whatever earlier calls revoked), written to `name`. */
export function makeCrl(pki: TestPki, name: string, revoked: KeyPair[]): string {
  for (const pair of revoked) openssl(['ca', ...caArgs(pki), '-revoke', pair.crt]);
  const crl = path.join(pki.dir, name);
  openssl(['ca', ...caArgs(pki), '-gencrl', '-out', crl]);
  return crl;
}

/** `openssl ca`'s configuration for `pki.ca`, written on first use: any subject, serials and an index. */
function caArgs(pki: CaParts): string[] {
  const config = path.join(pki.dir, 'ca.cnf');
  if (!fs.existsSync(config)) {
    fs.writeFileSync(path.join(pki.dir, 'index.txt'), '');
    fs.writeFileSync(path.join(pki.dir, 'serial.txt'), '1000\n');
    const settings = {
      database: `${pki.dir}/index.txt`,
      new_certs_dir: pki.dir,
      serial: `${pki.dir}/serial.txt`,
      default_md: 'sha256',
      default_crl_days: '2',
      policy: 'any',
      unique_subject: 'no',
    };
    const lines = Object.entries(settings).map(([key, value]) => `${key} = ${value}`);
    fs.writeFileSync(
      config,
      ['[ca]', 'default_ca = test', '[test]', ...lines, '[any]', 'commonName = supplied', ''].join('\n'),
    );
  }
  return ['-config', config, '-cert', pki.ca.crt, '-keyfile', pki.ca.key];
}

function pairIn(dir: string, name: string): KeyPair {
  return { crt: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
}

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr || result.error}`);
}
