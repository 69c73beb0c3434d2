/**
 * Passwords outside pgpass, the environment and SecretStorage: warned about the same way wherever they are
 * written, never shown; and the login hint names the pgpass file actually read (PGPASSFILE).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionEnvironment, resolveConnection } from '../../src/core/connections';
import { SqlError } from '../../src/core/sql/errors';
import { nodeEnvironment } from '../../src/drivers/nodeEnvironment';
import { NodePostgresClient } from '../../src/drivers/pgClient';
import { buildCli, runCli } from '../helpers/builtCli';
import { PgServer, startStandalone } from '../helpers/pgCluster';

const SECRET = 'right-horse-battery';
let server: PgServer;
let scratch: string;

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-passwords-'));
  server = await startStandalone({ password: SECRET });
  buildCli();
}, 120_000);

afterAll(async () => {
  await server?.destroy();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

function environment(env: Record<string, string>): ConnectionEnvironment {
  return { ...nodeEnvironment(), env, homeDir: path.join(scratch, 'home'), osUser: 'tester' };
}

async function logIn(env: ConnectionEnvironment): Promise<SqlError | 'connected'> {
  const connection = resolveConnection(
    'app',
    { host: '127.0.0.1', port: server.port, user: 'app', database: 'postgres', sslmode: 'disable' },
    env,
  );
  try {
    const session = await NodePostgresClient.fromEnvironment(env).open(connection, {
      connectTimeoutMs: 10_000,
      applicationName: 'cnbook-passwords',
    });
    await session.close();
    return 'connected';
  } catch (error) {
    return error as SqlError;
  }
}

describe('the pgpass file in the login hint', () => {
  it('is the one PGPASSFILE names: where a wrong password came from, or where to put one', async () => {
    const pgpass = path.join(scratch, 'team.pgpass');
    const env = environment({ PGPASSFILE: pgpass });
    const missing = await logIn(env);
    expect(missing, String(missing)).toBeInstanceOf(SqlError);
    expect((missing as SqlError).message).toContain('the server asks for a password and none was found');
    expect((missing as SqlError).fields.hint).toBe(
      `No password was found: add one to ${pgpass} (mode 0600) or set PGPASSWORD.`,
    );
    fs.writeFileSync(pgpass, '*:*:*:app:wrong\n', { mode: 0o600 });
    const wrong = await logIn(env);
    expect((wrong as SqlError).fields.hint).toBe(`The password came from ${pgpass}; check it there.`);
    fs.writeFileSync(pgpass, `*:*:*:app:${SECRET}\n`, { mode: 0o600 });
    const right = await logIn(env);
    expect(right, String(right)).toBe('connected');
  });
});

describe('cnbook check --connections', () => {
  it('warns once per written password, saying where, never the value, and still passes', () => {
    const serviceFile = path.join(scratch, 'pg_service.conf');
    fs.writeFileSync(serviceFile, `[svc]\nhost=127.0.0.1\nport=${server.port}\npassword=${SECRET}\n`);
    const connections = path.join(scratch, 'connections.json');
    const connectionsJson = {
      connections: {
        query: `postgres://app@127.0.0.1:${server.port}/postgres?password=${SECRET}`,
        userinfo: { url: `postgres://app:${SECRET}@127.0.0.1:${server.port}/postgres` },
        key: { host: '127.0.0.1', password: SECRET },
        service: { service: 'svc' },
      },
      profiles: { p: { primary: 'query', replicas: ['userinfo', 'key', 'service'] } },
    };
    fs.writeFileSync(connections, JSON.stringify(connectionsJson));
    const runbook = path.join(scratch, 'r.cnbook');
    fs.writeFileSync(runbook, '---\ncnbook: 1\nroles: [primary, replicas]\n---\n```sql\nSELECT 1\n```\n');
    const pgpass = path.join(scratch, 'team.pgpass');
    const env = { PGSERVICEFILE: serviceFile, PGPASSFILE: pgpass, PGPASSWORD: '' };
    const r = runCli(['check', runbook, '--connections', connections, '--profile', 'p'], { env });
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter((line) => line.includes('holds a password'));
    expect(warnings.map((w) => /holds a password (in its [^,]*?), which/.exec(w)?.[1])).toEqual([
      'in its URL (?password=)',
      'in its URL (user:password@)',
      'in its "password" key',
      'in its pg_service.conf entry',
    ]);
    expect(warnings.every((w) => w.includes(`Put it in ${pgpass} (`))).toBe(true);
    expect(r.stderr + r.stdout).not.toContain(SECRET);
  });

  it('points a password written in a runbook cell to the pgpass file in use', () => {
    const runbook = path.join(scratch, 'leaky.cnbook');
    fs.writeFileSync(runbook, "---\ncnbook: 1\n---\n```sql\nSELECT 'postgres://app:" + SECRET + "@db/x'\n```\n");
    const pgpass = path.join(scratch, 'team.pgpass');
    const r = runCli(['check', runbook], { env: { PGPASSFILE: pgpass } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`looks like a password; runbooks are shared records, put it in ${pgpass} or PGPASSWORD`);
    expect(r.stderr).not.toContain(SECRET);
  });
});
