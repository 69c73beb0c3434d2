/**
 * TLS the way libpq does it, against a real server with a CA made here: which CA file, which host name,
 * which client certificate, and the messages that say which of them went wrong.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionEnvironment, ConnectionSpec, resolveConnection } from '../../src/core/connections';
import type { SqlSession } from '../../src/core/sql/client';
import { SqlError } from '../../src/core/sql/errors';
import { nodeEnvironment } from '../../src/drivers/nodeEnvironment';
import { NodePostgresClient } from '../../src/drivers/pgClient';
import { giveToServerUser } from '../../src/sandbox/processes';
import { PgServer, startStandalone } from '../helpers/pgCluster';
import { makeCrl, makeTestPki, openSslAvailable, TestPki } from '../helpers/testPki';

const CERT_USER = 'certuser';
let server: PgServer;
let pki: TestPki;
let scratch: string;
const client = new NodePostgresClient(async () => undefined);

beforeAll(async () => {
  if (!openSslAvailable()) throw new Error('this test makes its CA with the openssl program: apt-get install openssl');
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-tls-'));
  pki = makeTestPki(path.join(scratch, 'pki'), CERT_USER);
  for (const pair of [pki.client, pki.server, pki.localhostOnly, pki.expired]) fs.chmodSync(pair.key, 0o600);
  server = await startStandalone();
  const serverFiles = [pki.server, pki.localhostOnly, pki.expired].flatMap((pair) => [pair.crt, pair.key]);
  for (const file of [...serverFiles, pki.ca.crt]) {
    const copy = path.join(server.dataDir, path.basename(file));
    fs.copyFileSync(file, copy);
    fs.chmodSync(copy, 0o600);
    giveToServerUser(copy);
  }
  // The helper's own queries come in plain as postgres; everything else must use TLS, certuser a certificate.
  const hba = [
    `hostssl all ${CERT_USER} 127.0.0.1/32 cert`,
    'hostssl all all 127.0.0.1/32 trust',
    'host all postgres 127.0.0.1/32 trust',
  ];
  fs.writeFileSync(path.join(server.dataDir, 'pg_hba.conf'), hba.join('\n') + '\n');
  await server.query(`CREATE ROLE ${CERT_USER} LOGIN`);
  await server.query("ALTER SYSTEM SET ssl_ca_file = 'ca.crt'");
  await useServerCertificate('server');
}, 120_000);

afterAll(async () => {
  await server?.destroy();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

/** Switches the certificate the server shows and waits until a new session sees the reloaded settings. */
async function useServerCertificate(name: 'server' | 'localhost-only' | 'expired'): Promise<void> {
  await server.query(`ALTER SYSTEM SET ssl_cert_file = '${name}.crt'`);
  await server.query(`ALTER SYSTEM SET ssl_key_file = '${name}.key'`);
  await server.query('ALTER SYSTEM SET ssl = on');
  await server.query('SELECT pg_reload_conf()');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = await server.query("SELECT current_setting('ssl_cert_file') AS file, current_setting('ssl') AS ssl");
    if (row.file === `${name}.crt` && row.ssl === 'on') return;
    if (Date.now() > deadline) throw new Error(`server did not reload to ${name}.crt: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function environment(env: Record<string, string> = {}, home = path.join(scratch, 'empty-home')): ConnectionEnvironment {
  return { ...nodeEnvironment(), env, homeDir: home, osUser: 'tester' };
}

function resolve(spec: ConnectionSpec, env = environment()) {
  return resolveConnection(
    'tls',
    { host: '127.0.0.1', port: server.port, database: 'postgres', user: 'postgres', ...spec },
    env,
  );
}

/** Connects, and says who the server thinks we are and whether the session uses TLS (pg_stat_ssl). */
async function whoAmI(spec: ConnectionSpec, env = environment()): Promise<{ user: string; ssl: string }> {
  const session = await client.open(resolve(spec, env), { connectTimeoutMs: 10_000, applicationName: 'cnbook-tls' });
  try {
    const sql = 'SELECT current_user::text AS u, ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()';
    const [row] = (await runOne(session, sql)).rows;
    return { user: row?.[0] ?? '', ssl: row?.[1] ?? '' };
  } finally {
    await session.close();
  }
}

async function runOne(session: SqlSession, text: string) {
  const outcome = await session.runTransaction([{ text, values: [], offset: 0 }], {
    readOnly: true,
    statementTimeoutMs: 10_000,
    lockTimeoutMs: 1000,
    maxRowsStored: 10,
    batchSize: 10,
  });
  return outcome.statements[0]!;
}

async function failure(spec: ConnectionSpec, env = environment()): Promise<SqlError> {
  try {
    await whoAmI(spec, env);
  } catch (error) {
    expect(error).toBeInstanceOf(SqlError);
    return error as SqlError;
  }
  throw new Error(`connected with ${JSON.stringify(spec)}, expected a failure`);
}

function homeWith(name: string, files: Record<string, string>, modes: Record<string, number> = {}): string {
  const home = path.join(scratch, name);
  fs.mkdirSync(path.join(home, '.postgresql'), { recursive: true });
  for (const [target, source] of Object.entries(files)) {
    const file = path.join(home, '.postgresql', target);
    fs.copyFileSync(source, file);
    fs.chmodSync(file, modes[target] ?? 0o600);
  }
  return home;
}

describe('server verification', () => {
  it('connects with verify-full against the CA that signed the server, over TLS', async () => {
    expect(await whoAmI({ sslmode: 'verify-full', sslrootcert: pki.ca.crt })).toEqual({
      user: 'postgres',
      ssl: 'true',
    });
    const url = `postgres://postgres@127.0.0.1:${server.port}/postgres?sslmode=verify-full&sslrootcert=${pki.ca.crt}`;
    expect(await whoAmI({ url })).toEqual({ user: 'postgres', ssl: 'true' });
  });

  it('refuses a server its CA file did not sign, naming the file', async () => {
    for (const sslmode of ['verify-full', 'verify-ca', 'require'] as const) {
      const error = await failure({ sslmode, sslrootcert: pki.otherCa.crt });
      expect(error.fields.tlsFailure).toBe('untrusted-certificate');
      expect(error.message).toContain(`server certificate not signed by a CA in ${pki.otherCa.crt}`);
    }
    const garbage = path.join(scratch, 'not-a-ca.crt');
    fs.writeFileSync(garbage, 'not a certificate\n');
    const unreadable = await failure({ sslmode: 'verify-ca', sslrootcert: garbage });
    expect(unreadable.fields.tlsFailure).toBe('bad-tls-file');
    expect(unreadable.message).toContain(`root certificate file "${garbage}" holds no PEM certificate`);
    const system = await failure({ sslrootcert: 'system' });
    expect(system.fields.tlsFailure).toBe('untrusted-certificate');
    expect(system.message).toContain("not signed by a CA in the system's trusted roots");
  });

  it('without a root certificate: require only encrypts, verify-ca and verify-full fail naming the file', async () => {
    expect(await whoAmI({ sslmode: 'require' })).toEqual({ user: 'postgres', ssl: 'true' });
    const expected = path.join(scratch, 'empty-home', '.postgresql', 'root.crt');
    for (const sslmode of ['verify-ca', 'verify-full'] as const) {
      const error = await failure({ sslmode });
      expect(error.fields.tlsFailure).toBe('missing-root-cert');
      expect(error.message).toContain(`root certificate file "${expected}" does not exist`);
    }
  });

  it('finds the root certificate through PGSSLROOTCERT, ~/.postgresql/root.crt and a service file', async () => {
    const viaEnv = environment({ PGSSLROOTCERT: pki.ca.crt });
    expect((await whoAmI({ sslmode: 'verify-full' }, viaEnv)).ssl).toBe('true');
    const viaHome = environment({}, homeWith('home-root', { 'root.crt': pki.ca.crt }, { 'root.crt': 0o644 }));
    expect((await whoAmI({ sslmode: 'verify-full' }, viaHome)).ssl).toBe('true');
    const serviceFile = path.join(scratch, 'pg_service.conf');
    fs.writeFileSync(
      serviceFile,
      `[tlsdb]\nhost=127.0.0.1\nport=${server.port}\nsslmode=verify-full\nsslrootcert=${pki.ca.crt}\n`,
    );
    const viaService = environment({ PGSERVICEFILE: serviceFile, PGSYSCONFDIR: scratch });
    const session = await client.open(resolveConnection('svc', { service: 'tlsdb', user: 'postgres' }, viaService), {
      connectTimeoutMs: 10_000,
      applicationName: 'cnbook-tls',
    });
    expect((await runOne(session, 'SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows).toEqual([
      ['true'],
    ]);
    await session.close();
    // require with a root certificate at hand checks the chain, as libpq does: the wrong one is refused.
    const wrongHome = environment({}, homeWith('home-wrong', { 'root.crt': pki.otherCa.crt }));
    expect((await failure({ sslmode: 'require' }, wrongHome)).fields.tlsFailure).toBe('untrusted-certificate');
  });
});

describe('host names', () => {
  beforeAll(() => useServerCertificate('localhost-only'));
  afterAll(() => useServerCertificate('server'));

  it('verify-full refuses a certificate for another name and says whose it is; verify-ca accepts it', async () => {
    const error = await failure({ sslmode: 'verify-full', sslrootcert: pki.ca.crt });
    expect(error.fields.tlsFailure).toBe('host-name-mismatch');
    expect(error.message).toContain('server certificate is for localhost, not 127.0.0.1');
    expect((await whoAmI({ sslmode: 'verify-ca', sslrootcert: pki.ca.crt })).ssl).toBe('true');
  });

  it('refuses a server certificate its revocation list (sslcrl) revokes, and not before', async () => {
    const spec = { sslmode: 'verify-ca', sslrootcert: pki.ca.crt } as const;
    const none = makeCrl(pki, 'none-revoked.crl', []);
    expect((await whoAmI({ ...spec, sslcrl: none })).ssl).toBe('true');
    const crl = makeCrl(pki, 'revoked.crl', [pki.localhostOnly]);
    const error = await failure({ ...spec, sslcrl: crl });
    expect(error.fields.tlsFailure).toBe('certificate-revoked');
    expect(error.message).toContain(`server certificate is revoked in ${crl}`);
    const viaHome = homeWith('home-crl', { 'root.crt': pki.ca.crt, 'root.crl': crl });
    expect((await failure({ sslmode: 'verify-ca' }, environment({}, viaHome))).fields.tlsFailure).toBe(
      'certificate-revoked',
    );
  });
});

describe('client certificates', () => {
  const asCertUser = { user: CERT_USER, sslmode: 'verify-full' } as const;

  it('logs in with sslcert/sslkey where pg_hba says cert, and is refused without them', async () => {
    const spec = { ...asCertUser, sslrootcert: pki.ca.crt };
    expect(await whoAmI({ ...spec, sslcert: pki.client.crt, sslkey: pki.client.key })).toEqual({
      user: CERT_USER,
      ssl: 'true',
    });
    const refused = await failure(spec);
    expect(refused.fields.sqlstate).toBe('28000');
    expect(refused.fields.hint).toMatch(/No client certificate was offered \(none at .*postgresql\.crt\)/);
  });

  it('takes the client certificate from ~/.postgresql by default', async () => {
    const home = homeWith('home-client', {
      'root.crt': pki.ca.crt,
      'postgresql.crt': pki.client.crt,
      'postgresql.key': pki.client.key,
    });
    expect((await whoAmI({ user: CERT_USER, sslmode: 'verify-full' }, environment({}, home))).user).toBe(CERT_USER);
  });

  it('refuses a private key others can read, naming the file and its mode', async () => {
    const key = path.join(scratch, 'open.key');
    fs.copyFileSync(pki.client.key, key);
    fs.chmodSync(key, 0o644);
    const error = await failure({ ...asCertUser, sslrootcert: pki.ca.crt, sslcert: pki.client.crt, sslkey: key });
    expect(error.fields.tlsFailure).toBe('key-permissions');
    expect(error.message).toContain(`private key file "${key}" has group or world access (mode 0644)`);
  });

  it('says so when the key does not belong to the certificate', async () => {
    const error = await failure({
      ...asCertUser,
      sslrootcert: pki.ca.crt,
      sslcert: pki.client.crt,
      sslkey: pki.server.key,
    });
    expect(error.fields.tlsFailure).toBe('client-key-mismatch');
    expect(error.message).toContain(`client key ${pki.server.key} does not belong to certificate ${pki.client.crt}`);
  });
});

describe('an expired server certificate', () => {
  beforeAll(() => useServerCertificate('expired'));
  afterAll(() => useServerCertificate('server'));

  it('is refused wherever the chain is checked, and says so', async () => {
    const error = await failure({ sslmode: 'verify-ca', sslrootcert: pki.ca.crt });
    expect(error.fields.tlsFailure).toBe('certificate-expired');
    expect(error.message).toContain('server certificate has expired (CERT_HAS_EXPIRED)');
    // Without a root certificate, require checks nothing, as libpq does.
    expect((await whoAmI({ sslmode: 'require' })).ssl).toBe('true');
  });
});
