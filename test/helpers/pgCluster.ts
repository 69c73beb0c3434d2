/**
 * Throwaway PostgreSQL 15 clusters for tests, the demo and benchmarks: a primary with streaming replicas
 * on free loopback ports, run as the `postgres` user when we are root (initdb refuses root), always removed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

export interface PgNode {
  name: string;
  port: number;
  host: '127.0.0.1';
  dataDir: string;
  url: string;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  promote(): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, params?: unknown[]): Promise<any[]>;
}

export interface PgCluster {
  primary: PgNode;
  replicas: PgNode[];
  nodes: PgNode[];
  destroy(): Promise<void>;
}

export interface ClusterOptions {
  replicas?: number;
  primaryConfig?: Record<string, string>;
  replicaConfig?: Record<string, string>;
  /** libfaketime offset for the primary's clock, e.g. '+3s'. */
  fakeTimeOffset?: string;
}

const BIN = process.env.CNBOOK_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const asRoot = process.getuid?.() === 0;
const liveRoots = new Set<string>();

const BASE_CONFIG: Record<string, string> = {
  listen_addresses: "'127.0.0.1'", shared_buffers: "'16MB'", max_connections: '40', fsync: 'off',
  synchronous_commit: 'off', full_page_writes: 'off', wal_level: 'replica', max_wal_senders: '10',
  hot_standby: 'on', max_prepared_transactions: '10', wal_keep_size: "'64MB'", logging_collector: 'off',
};

export function pgBin(name: string): string {
  return path.join(BIN, name);
}

/** Runs a PostgreSQL program as the user that owns the clusters; throws with its output on failure. */
function pgRun(program: string, args: string[], env: Record<string, string> = {}): string {
  const command = asRoot ? 'runuser' : pgBin(program);
  const argv = asRoot ? ['-u', 'postgres', '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), pgBin(program), ...args] : args;
  const result = spawnSync(command, argv, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  if (result.status !== 0) throw new Error(`${program} ${args.join(' ')} failed: ${result.stderr || result.stdout || result.error?.message}`);
  return result.stdout;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function makeRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-pg-'));
  fs.chmodSync(root, 0o755);
  if (asRoot) spawnSync('chown', ['postgres:postgres', root]);
  liveRoots.add(root);
  return root;
}

function writeConfig(dataDir: string, settings: Record<string, string>): void {
  // Appending keeps the file's owner (postgres); the last setting of a name wins.
  const lines = Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n');
  fs.appendFileSync(path.join(dataDir, 'postgresql.auto.conf'), `\n${lines}\n`);
}

function makeNode(name: string, root: string, dataDir: string, port: number, fakeTime?: string): PgNode {
  const log = path.join(root, `${name}.log`);
  const env: Record<string, string> = fakeTime ? { LD_PRELOAD: FAKETIME_LIB, FAKETIME: fakeTime, FAKETIME_DONT_RESET: '1' } : {};
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const node: PgNode = {
    name, port, host: '127.0.0.1', dataDir, url,
    start: async () => {
      try {
        pgRun('pg_ctl', ['-D', dataDir, '-l', log, '-w', '-t', '60', '-o', `-p ${port} -k ${root}`, 'start'], env);
      } catch (error) {
        const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '';
        throw new Error(`${(error as Error).message}\n--- ${name} server log ---\n${tail}`);
      }
    },
    stop: async (mode = 'fast') => {
      spawnSync(asRoot ? 'runuser' : pgBin('pg_ctl'), asRoot ? ['-u', 'postgres', '--', pgBin('pg_ctl'), '-D', dataDir, '-m', mode, '-w', 'stop'] : ['-D', dataDir, '-m', mode, '-w', 'stop'], { encoding: 'utf8' });
    },
    promote: async () => void pgRun('pg_ctl', ['-D', dataDir, '-w', 'promote']),
    query: async (sql, params) => {
      const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
      client.on('error', () => undefined);
      await client.connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
  return node;
}

async function initPrimary(root: string, options: ClusterOptions, fakeTime?: string): Promise<PgNode> {
  ensureBinaries();
  const dataDir = path.join(root, 'primary');
  pgRun('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  writeConfig(dataDir, { ...BASE_CONFIG, ...(options.primaryConfig ?? {}) });
  const node = makeNode('primary', root, dataDir, await freePort(), fakeTime);
  await node.start();
  return node;
}

async function addReplica(root: string, primary: PgNode, index: number, config: Record<string, string>): Promise<PgNode> {
  const name = `replica${index}`;
  const dataDir = path.join(root, name);
  pgRun('pg_basebackup', ['-D', dataDir, '-R', '-X', 'stream', '-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '--no-sync']);
  writeConfig(dataDir, { ...config, primary_conninfo: `'host=127.0.0.1 port=${primary.port} user=postgres application_name=${name}'` });
  const node = makeNode(name, root, dataDir, await freePort());
  await node.start();
  return node;
}

export async function startCluster(options: ClusterOptions = {}): Promise<PgCluster> {
  const root = makeRoot();
  const nodes: PgNode[] = [];
  const destroy = async () => {
    for (const node of [...nodes].reverse()) await node.stop('immediate');
    fs.rmSync(root, { recursive: true, force: true });
    liveRoots.delete(root);
  };
  try {
    const primary = await initPrimary(root, options, options.fakeTimeOffset);
    nodes.push(primary);
    for (let i = 1; i <= (options.replicas ?? 0); i++) nodes.push(await addReplica(root, primary, i, options.replicaConfig ?? {}));
    const cluster: PgCluster = { primary, replicas: nodes.slice(1), nodes, destroy };
    await waitForStreaming(cluster, 30_000);
    return cluster;
  } catch (error) {
    await destroy();
    throw error;
  }
}

/** One independent server (for comparisons between servers that do not replicate). */
export async function startStandalone(options: Omit<ClusterOptions, 'replicas'> = {}): Promise<PgNode & { destroy(): Promise<void> }> {
  const cluster = await startCluster({ ...options, replicas: 0 });
  return Object.assign(cluster.primary, { destroy: cluster.destroy });
}

async function waitForStreaming(cluster: PgCluster, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const want = cluster.replicas.length;
  while (want > 0) {
    const rows = await cluster.primary.query("SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'");
    if (rows[0]?.n >= want) return;
    if (Date.now() > deadline) throw new Error(`replicas not streaming after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until every replica has replayed the primary's current WAL position. */
export async function waitForReplay(cluster: PgCluster, timeoutMs = 30_000): Promise<void> {
  const [{ lsn }] = await cluster.primary.query('SELECT pg_current_wal_lsn()::text AS lsn');
  const deadline = Date.now() + timeoutMs;
  for (const replica of cluster.replicas) {
    for (;;) {
      const [{ caught }] = await replica.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught', [lsn]);
      if (caught) break;
      if (Date.now() > deadline) throw new Error(`${replica.name} did not replay ${lsn} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function ensureBinaries(): void {
  if (!fs.existsSync(pgBin('initdb'))) {
    throw new Error(`PostgreSQL 15 server binaries not found in ${BIN}: run 'bash .ci/install-postgres.sh' (as root) or set CNBOOK_PG_BIN`);
  }
}

export function fakeTimeAvailable(): boolean {
  return fs.existsSync(FAKETIME_LIB);
}

// An aborted run (Ctrl-C, a crash) must not leave servers behind.
function stopAllSync(): void {
  for (const root of liveRoots) {
    for (const entry of fs.existsSync(root) ? fs.readdirSync(root) : []) {
      const dataDir = path.join(root, entry);
      if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) continue;
      const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
      spawnSync(asRoot ? 'runuser' : pgBin('pg_ctl'), asRoot ? ['-u', 'postgres', '--', pgBin('pg_ctl'), ...args] : args);
    }
    fs.rmSync(root, { recursive: true, force: true });
  }
  liveRoots.clear();
}
process.once('exit', stopAllSync);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopAllSync();
    process.exit(130);
  });
}
