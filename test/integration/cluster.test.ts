/**
 * The test harness itself: real throwaway PostgreSQL clusters from the npm binaries (src/sandbox/throwaway.ts). The other
 * integration tests trust these behaviours, so they are checked here against the servers, not mocked.
 * The tests share one cluster and run in order: the pause, promotion and teardown tests change it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fakeTimeAvailable,
  PgCluster,
  PgNode,
  startCluster,
  startStandalone,
  waitForReplay,
} from '../helpers/pgCluster';
import { requestedMajor } from '../../src/sandbox/binaries';

const APP_PASSWORD = "s3cret-'quoted'";

let cluster: PgCluster;

beforeAll(async () => {
  cluster = await startCluster({ replicas: 2, password: APP_PASSWORD });
  await cluster.primary.query('CREATE TABLE items (id int PRIMARY KEY, note text)');
});
afterAll(async () => cluster?.destroy());

async function inRecovery(node: PgNode): Promise<boolean> {
  return (await node.query('SELECT pg_is_in_recovery() AS r'))[0].r;
}

async function ids(node: PgNode): Promise<number[]> {
  return (await node.query('SELECT id FROM items ORDER BY id')).map((row) => row.id);
}

async function poll<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function loginAsApp(node: PgNode, password: string): Promise<string> {
  const client = new Client({
    host: '127.0.0.1',
    port: node.port,
    user: 'app',
    password,
    database: 'postgres',
    connectionTimeoutMillis: 5000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query('SELECT current_user AS u')).rows[0].u;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Pids of a node's postmaster and of its children, read before teardown. */
function serverPids(node: PgNode): number[] {
  const postmaster = Number(fs.readFileSync(path.join(node.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map(Number);
  return [postmaster, ...children];
}

/**
 * A zombie counts as gone: the stopped postmaster is reparented to PID 1, and in some containers PID 1
 * reaps exited processes only after a while.
 */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('a primary with two streaming replicas', () => {
  it('has a primary out of recovery and replicas in recovery', async () => {
    expect(cluster.nodes.map((n) => n.name)).toEqual(['primary', 'replica1', 'replica2']);
    expect(new Set(cluster.nodes.map((n) => n.port)).size).toBe(3);
    expect(cluster.primary.url).toBe(`postgres://postgres@127.0.0.1:${cluster.primary.port}/postgres`);
    expect(await inRecovery(cluster.primary)).toBe(false);
    expect(await Promise.all(cluster.replicas.map(inRecovery))).toEqual([true, true]);
    const [{ server_version: version }] = await cluster.primary.query('SHOW server_version');
    expect(version).toMatch(new RegExp(`^${requestedMajor()}\\.`));
  });

  it('shows both replicas streaming in pg_stat_replication on the primary', async () => {
    const rows = await cluster.primary.query(
      'SELECT application_name AS name, state FROM pg_stat_replication ORDER BY 1',
    );
    expect(rows).toEqual([
      { name: 'replica1', state: 'streaming' },
      { name: 'replica2', state: 'streaming' },
    ]);
  });

  it('shows a row written on the primary on every replica after waitForReplay', async () => {
    await cluster.primary.query("INSERT INTO items VALUES (1, 'first')");
    await waitForReplay(cluster);
    for (const replica of cluster.replicas) expect(await ids(replica)).toEqual([1]);
  });

  it('hides a new row on a replica whose replay is paused, until replay resumes', async () => {
    const replica = cluster.replicas[1]!;
    await replica.query('SELECT pg_wal_replay_pause()');
    await cluster.primary.query("INSERT INTO items VALUES (2, 'while paused')");
    const [{ lsn }] = await cluster.primary.query('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    // The WAL reaches the replica; only its replay is held back.
    await poll(
      async () => (await replica.query('SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn AS ok', [lsn]))[0].ok,
      Boolean,
      'the replica to receive the WAL',
    );
    expect((await replica.query('SELECT pg_get_wal_replay_pause_state() AS s'))[0].s).toBe('paused');
    expect(await ids(replica)).toEqual([1]);
    // The other replica is not paused and goes on replaying.
    expect(
      await poll(
        () => ids(cluster.replicas[0]!),
        (v) => v.length === 2,
        'replica1 to replay',
      ),
    ).toEqual([1, 2]);
    await expect(waitForReplay(cluster, 500)).rejects.toThrow(/replica2 did not replay/);

    await replica.query('SELECT pg_wal_replay_resume()');
    await waitForReplay(cluster);
    expect(await ids(replica)).toEqual([1, 2]);
  });

  it('requires the app role password on 127.0.0.1, on the primary and on replicas', async () => {
    expect(await loginAsApp(cluster.primary, APP_PASSWORD)).toBe('app');
    expect(await loginAsApp(cluster.replicas[0]!, APP_PASSWORD)).toBe('app');
    await expect(loginAsApp(cluster.primary, 'wrong')).rejects.toThrow(/password authentication failed for user "app"/);
  });

  it('makes a replica writable when it is promoted, while the primary keeps running', async () => {
    const replica = cluster.replicas[0]!;
    await expect(replica.query("INSERT INTO items VALUES (3, 'too early')")).rejects.toThrow(/read-only transaction/);
    await replica.promote();
    expect(await inRecovery(replica)).toBe(false);
    await replica.query("INSERT INTO items VALUES (3, 'split brain')");
    expect(await ids(replica)).toEqual([1, 2, 3]);
    expect(await ids(cluster.primary)).toEqual([1, 2]);
    // The promoted node never replays again; waitForReplay waits only for the replica still following.
    await cluster.primary.query("INSERT INTO items VALUES (4, 'after promotion')");
    await waitForReplay(cluster);
    expect(await ids(cluster.replicas[1]!)).toEqual([1, 2, 4]);
  });

  it('stops and restarts a node on the same port', async () => {
    const replica = cluster.replicas[1]!;
    await replica.stop();
    await expect(replica.query('SELECT 1')).rejects.toThrow();
    await replica.start();
    expect(await inRecovery(replica)).toBe(true);
    await replica.stop('immediate');
    await replica.stop('immediate'); // stopping a stopped node is a no-op
  });

  it('leaves no server process and no folder behind after destroy, even with a node already stopped', async () => {
    const root = path.dirname(cluster.primary.dataDir);
    const running = cluster.nodes.filter((n) => fs.existsSync(path.join(n.dataDir, 'postmaster.pid')));
    expect(running.map((n) => n.name)).toEqual(['primary', 'replica1']);
    const pids = running.flatMap(serverPids);
    expect(pids.length).toBeGreaterThan(4);

    await cluster.destroy();
    await cluster.destroy(); // a second call (afterAll) must not throw either

    const processes = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
    expect(processes.split('\n').filter((line) => line.includes(root))).toEqual([]);
    expect(pids.filter(alive)).toEqual([]);
    expect(fs.existsSync(root)).toBe(false);
  });
});

describe('a standalone server', () => {
  const why = fakeTimeAvailable()
    ? ''
    : ' (SKIPPED: libfaketime is not installed; apt-get install -y libfaketime; .ci/run installs it)';

  it.skipIf(!fakeTimeAvailable())(`runs its clock 3 s ahead with fakeTimeOffset '+3s'${why}`, async () => {
    const server = await startStandalone({ fakeTimeOffset: '+3s' });
    try {
      const before = Date.now();
      const [{ ms }] = await server.query('SELECT extract(epoch FROM clock_timestamp()) * 1000 AS ms');
      const after = Date.now();
      const skew = Number(ms) - (before + after) / 2;
      expect(skew).toBeGreaterThanOrEqual(2500);
      expect(skew).toBeLessThanOrEqual(3500);
    } finally {
      await server.destroy();
    }
  });
});
