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
  return {
    dir,
    ca,
    otherCa,
    server: makeLeaf(dir, ca, 'server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost'),
    localhostOnly: makeLeaf(dir, ca, 'localhost-only', 'localhost', 'subjectAltName=DNS:localhost'),
    client: makeLeaf(dir, ca, 'client', clientUser, 'extendedKeyUsage=clientAuth'),
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

function makeLeaf(dir: string, ca: KeyPair, name: string, commonName: string, extension: string): KeyPair {
  const pair = pairIn(dir, name);
  const csr = path.join(dir, `${name}.csr`);
  const extFile = path.join(dir, `${name}.ext`);
  fs.writeFileSync(extFile, `${extension}\n`);
  openssl(['req', ...NEW_KEY, '-keyout', pair.key, '-out', csr, '-subj', `/CN=${commonName}`]);
  openssl(
    ['x509', '-req', '-in', csr, '-CA', ca.crt, '-CAkey', ca.key, '-CAcreateserial', '-days', '2'].concat([
      '-out',
      pair.crt,
      '-extfile',
      extFile,
    ]),
  );
  return pair;
}

/** A revocation list from `pki.ca` revoking `revoked` (and whatever earlier calls revoked), written to `name`. */
export function makeCrl(pki: TestPki, name: string, revoked: KeyPair[]): string {
  const config = path.join(pki.dir, 'ca.cnf');
  const index = path.join(pki.dir, 'index.txt');
  if (!fs.existsSync(index)) fs.writeFileSync(index, '');
  fs.writeFileSync(
    config,
    `[ca]\ndefault_ca = test\n[test]\ndatabase = ${index}\ndefault_md = sha256\ndefault_crl_days = 2\n`,
  );
  const ca = ['-config', config, '-cert', pki.ca.crt, '-keyfile', pki.ca.key];
  for (const pair of revoked) openssl(['ca', ...ca, '-revoke', pair.crt]);
  const crl = path.join(pki.dir, name);
  openssl(['ca', ...ca, '-gencrl', '-out', crl]);
  return crl;
}

function pairIn(dir: string, name: string): KeyPair {
  return { crt: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
}

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr || result.error}`);
}
