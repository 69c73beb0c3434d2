/**
 * libpq's multi-host connection strings on real servers: a primary, a standby and a port nobody listens on,
 * listed in one connection as psql takes them; the session settles where target_session_attrs says.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConnection } from '../../src/core/connections/resolve';
import type { ConnectionEnvironment } from '../../src/core/connections/model';
import { PgCluster, startCluster } from '../helpers/pgCluster';
import { newPool } from './sqlHarness';

let cluster: PgCluster;
let deadPort: number;
let primary: number;
let standby: number;

/** A port that refuses connections: a member that is down. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  cluster = await startCluster({ replicas: 1 });
  deadPort = await closedPort();
  primary = cluster.primary.port;
  standby = cluster.replicas[0]!.port;
});
afterAll(async () => cluster?.destroy());

const environment: ConnectionEnvironment = {
  env: {},
  homeDir: '/nonexistent',
  osUser: 'postgres',
  readTextFile: () => undefined,
};

/** The port of the server the session settled on, as that server says it. */
async function settlesOn(url: string): Promise<number> {
  const pool = newPool();
  try {
    const connection = resolveConnection('multi', { url }, environment);
    const session = await pool.get(connection);
    const outcome = await session.runTransaction(
      [{ text: 'SELECT inet_server_port()::text AS p', values: [], offset: 0 }],
      {
        readOnly: true,
        statementTimeoutMs: 5000,
        lockTimeoutMs: 5000,
        maxRowsStored: 1,
        batchSize: 1,
      },
    );
    const port = Number(outcome.statements[0]?.rows[0]?.[0]);
    expect(session.connection.port, 'the session names the host it settled on').toBe(port);
    return port;
  } finally {
    await pool.closeAll();
  }
}

const url = (ports: number[], attrs?: string) =>
  `postgresql://postgres@${ports.map((p) => `127.0.0.1:${p}`).join(',')}/postgres` +
  (attrs ? `?target_session_attrs=${attrs}` : '');

describe('multi-host connection strings and target_session_attrs', () => {
  it('any (the default): the first host that answers, past one that is down', async () => {
    expect(await settlesOn(url([deadPort, standby, primary]))).toBe(standby);
    expect(await settlesOn(url([deadPort, standby, primary], 'any'))).toBe(standby);
  });

  it('primary and read-write: the writable one, wherever it is listed', async () => {
    expect(await settlesOn(url([deadPort, standby, primary], 'primary'))).toBe(primary);
    expect(await settlesOn(url([standby, primary], 'read-write'))).toBe(primary);
  });

  it('standby and read-only: a server in recovery', async () => {
    expect(await settlesOn(url([primary, deadPort, standby], 'standby'))).toBe(standby);
    expect(await settlesOn(url([primary, standby], 'read-only'))).toBe(standby);
  });

  it('prefer-standby: a standby when there is one, else any host', async () => {
    expect(await settlesOn(url([primary, standby], 'prefer-standby'))).toBe(standby);
    expect(await settlesOn(url([deadPort, primary], 'prefer-standby'))).toBe(primary);
  });

  it("libpq's keyword form, host=h1,h2 port=p1,p2", async () => {
    const conninfo =
      `host=127.0.0.1,127.0.0.1 port=${standby},${primary} user=postgres dbname=postgres ` +
      'target_session_attrs=primary';
    expect(await settlesOn(conninfo)).toBe(primary);
  });

  it('no host fits: the error names each host and why', async () => {
    await expect(settlesOn(url([deadPort, primary], 'standby'))).rejects.toThrow(
      new RegExp(
        `no host of connection 'multi' fits target_session_attrs=standby \\(127\\.0\\.0\\.1:${deadPort}: .+; ` +
          `127\\.0\\.0\\.1:${primary}: a primary \\(not in recovery\\)\\)`,
      ),
    );
  });
});
