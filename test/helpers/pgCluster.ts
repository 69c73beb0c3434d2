/**
 * Throwaway PostgreSQL 15 clusters for the integration tests, the demo and the benchmark: a primary with
 * streaming replicas on free loopback ports, in a temp folder that is always removed.
 *
 * initdb refuses to run as root, so when the tests run as root (CI, containers) every server program runs
 * as the `postgres` OS user through runuser; on a developer's machine they run as the current user.
 * Install the binaries with `bash .ci/install-postgres.sh`.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, QueryResult } from 'pg';

export interface PgNode {
  name: string;
  port: number;
  host: '127.0.0.1';
  dataDir: string;
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust auth for the postgres role). */
  url: string;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  promote(): Promise<void>;
  /** Runs one statement (or a multi-statement string without params) on a fresh connection. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, params?: unknown[]): Promise<any[]>;
}

export interface PgCluster {
  primary: PgNode;
  replicas: PgNode[];
  nodes: PgNode[];
  /** Stops every server (immediate) and deletes the folder; never throws, safe to call twice. */
  destroy(): Promise<void>;
}

export interface ClusterOptions {
  /** Streaming replicas of the primary; default 0. */
  replicas?: number;
  /** Extra postgresql.conf settings, plain values (`{ recovery_min_apply_delay: '2s' }`). */
  primaryConfig?: Record<string, string>;
  replicaConfig?: Record<string, string>;
  /** libfaketime offset for the primary's clock, e.g. '+3s' (needs libfaketime, see fakeTimeAvailable). */
  fakeTimeOffset?: string;
  /** Creates role `app` with this password, required (scram-sha-256) on 127.0.0.1; postgres stays trusted. */
  password?: string;
}

export type StandaloneOptions = Omit<ClusterOptions, 'replicas' | 'replicaConfig'>;
export type PgServer = PgNode & { destroy(): Promise<void> };

const BIN = process.env.CNBOOK_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const AS_ROOT = process.getuid?.() === 0;
const SERVER_USER = 'postgres';
const PORT_ATTEMPTS = 5;

// Small on purpose: the CI machine has 2 cores and a test file may run three servers at once.
const BASE_CONFIG: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  shared_buffers: '16MB',
  max_connections: '40',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  wal_level: 'replica',
  max_wal_senders: '10',
  hot_standby: 'on',
  max_prepared_transactions: '10',
  wal_keep_size: '64MB',
  logging_collector: 'off',
};

export function pgBin(name: string): string {
  return path.join(BIN, name);
}

export function fakeTimeAvailable(): boolean {
  return fs.existsSync(FAKETIME_LIB);
}

// ---------------------------------------------------------------------------------------------------------
// Running the server programs

/** The command line that runs a server program as the clusters' owner, with extra environment. */
function serverCommand(program: string, args: string[], env: Record<string, string> = {}): [string, string[]] {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  // `env` after the user switch, so that only the server gets LD_PRELOAD=libfaketime, not runuser itself.
  if (AS_ROOT) return ['runuser', ['-u', SERVER_USER, '--', 'env', ...assignments, pgBin(program), ...args]];
  return assignments.length ? ['env', [...assignments, pgBin(program), ...args]] : [pgBin(program), args];
}

interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

function runServerProgram(program: string, args: string[], options: RunOptions): Promise<string> {
  const [command, argv] = serverCommand(program, args, options.env);
  return new Promise((resolve, reject) => {
    // cwd matters: as postgres, the test's own cwd (e.g. /root) may be unreadable and initdb warns about it.
    execFile(
      command,
      argv,
      { cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const output = `${stderr}${stdout}`.trim() || error.message;
        reject(new Error(`${program} ${args.join(' ')} failed:\n${output}`));
      },
    );
  });
}

function ensureBinaries(options: StandaloneOptions): void {
  if (!fs.existsSync(pgBin('initdb'))) {
    throw new Error(
      `PostgreSQL 15 server binaries not found in ${BIN}: run 'bash .ci/install-postgres.sh' as root, or set CNBOOK_PG_BIN`,
    );
  }
  if (options.fakeTimeOffset && !fakeTimeAvailable()) {
    throw new Error(
      `fakeTimeOffset needs ${FAKETIME_LIB}: run 'bash .ci/install-postgres.sh' as root (apt-get install -y libfaketime)`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Folders, ports and configuration

/** A fresh folder for one cluster's data dirs, logs and sockets, owned by the server user. */
function makeRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-pg-'));
  // mkdtemp gives root-owned 0700; the server user needs the folder, other users may read the sockets.
  fs.chmodSync(root, 0o755);
  if (!AS_ROOT) return root;
  giveToServerUser(root);
  const probe = spawnSync('runuser', ['-u', SERVER_USER, '--', 'test', '-w', root, '-a', '-x', root]);
  if (probe.status !== 0) {
    fs.rmSync(root, { recursive: true, force: true });
    throw new Error(
      `the ${SERVER_USER} user cannot reach ${root}: point TMPDIR at a folder every user can traverse, such as /tmp`,
    );
  }
  return root;
}

function giveToServerUser(target: string): void {
  if (AS_ROOT) spawnSync('chown', ['-R', `${SERVER_USER}:`, target]);
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

/** Quotes every value, so callers pass plain values; values already in quotes are kept. */
function configLines(settings: Record<string, string>): string {
  const quote = (v: string) => (/^'.*'$/s.test(v) ? v : `'${v.replace(/'/g, "''")}'`);
  return (
    Object.entries(settings)
      .map(([k, v]) => `${k} = ${quote(v)}`)
      .join('\n') + '\n'
  );
}

/** Replaces postgresql.auto.conf (it wins over postgresql.conf, and ALTER SYSTEM keeps our lines). */
function writeConfig(dataDir: string, settings: Record<string, string>): void {
  fs.writeFileSync(
    path.join(dataDir, 'postgresql.auto.conf'),
    `# written by test/helpers/pgCluster.ts\n${configLines(settings)}`,
  );
}

function writeHba(dataDir: string, passwordRole: boolean): void {
  const lines = [
    'local all all trust',
    // First match wins, so the password line must come before the trust line for everyone else.
    ...(passwordRole ? ['host all app 127.0.0.1/32 scram-sha-256'] : []),
    'host all all 127.0.0.1/32 trust',
    'local replication all trust',
    'host replication all 127.0.0.1/32 trust',
  ];
  fs.writeFileSync(path.join(dataDir, 'pg_hba.conf'), lines.join('\n') + '\n');
}

// ---------------------------------------------------------------------------------------------------------
// One server

class StartError extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
  }
}

class ServerNode implements PgNode {
  readonly host = '127.0.0.1' as const;
  port = 0;

  constructor(
    readonly name: string,
    readonly dataDir: string,
    private readonly root: string,
    private readonly env: Record<string, string> = {},
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private get logFile(): string {
    return path.join(this.root, `${this.name}.log`);
  }

  async start(): Promise<void> {
    const logStart = fs.existsSync(this.logFile) ? fs.statSync(this.logFile).size : 0;
    const options = `-p ${this.port} -k '${this.root}'`;
    try {
      await runServerProgram(
        'pg_ctl',
        ['-D', this.dataDir, '-l', this.logFile, '-w', '-t', '60', '-o', options, 'start'],
        { cwd: this.root, env: this.env },
      );
    } catch (error) {
      // pg_ctl only says "see the log"; the reason (bad setting, port taken) is in the server log.
      const log = fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8').slice(logStart) : '';
      const tail = log.trimEnd().split('\n').slice(-20).join('\n');
      throw new StartError(
        `${this.name} (port ${this.port}) did not start: ${(error as Error).message}\n--- server log ---\n${tail}`,
        /Address already in use/.test(log),
      );
    }
  }

  /** Picks a free port and starts; another process may take the port between probe and bind, so retry. */
  async startOnFreePort(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      try {
        return await this.start();
      } catch (error) {
        if (!(error instanceof StartError && error.portInUse) || attempt >= PORT_ATTEMPTS) throw error;
      }
    }
  }

  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.running()) return;
    await runServerProgram('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop'], { cwd: this.root });
  }

  async promote(): Promise<void> {
    await runServerProgram('pg_ctl', ['-D', this.dataDir, '-w', '-t', '60', 'promote'], { cwd: this.root });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async query(sql: string, params?: unknown[]): Promise<any[]> {
    const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 5000 });
    // A server stopped under an open client emits 'error' on it; unhandled, that would crash the worker.
    client.on('error', () => undefined);
    try {
      await client.connect();
      // A string of several statements yields one result each; the last one is the interesting one.
      const result: QueryResult | QueryResult[] = await client.query(sql, params);
      return Array.isArray(result) ? (result[result.length - 1]?.rows ?? []) : result.rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  running(): boolean {
    return fs.existsSync(path.join(this.dataDir, 'postmaster.pid'));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Clusters

interface LiveCluster {
  root: string;
  nodes: ServerNode[];
  destroyed: boolean;
}

// Shared through globalThis so that two copies of this module (vitest re-imports per file) keep one
// registry and one set of process handlers.
const REGISTRY = Symbol.for('cnbook.pgCluster.live');
const liveClusters: Set<LiveCluster> = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??=
  new Set<LiveCluster>()) as Set<LiveCluster>;

async function createPrimary(live: LiveCluster, name: string, options: StandaloneOptions): Promise<ServerNode> {
  const dataDir = path.join(live.root, name);
  await runServerProgram(
    'initdb',
    ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync', '--no-instructions'],
    { cwd: live.root },
  );
  writeConfig(dataDir, { ...BASE_CONFIG, ...options.primaryConfig });
  writeHba(dataDir, options.password !== undefined);
  giveToServerUser(dataDir);
  const env: Record<string, string> = options.fakeTimeOffset
    ? { LD_PRELOAD: FAKETIME_LIB, FAKETIME: options.fakeTimeOffset, FAKETIME_DONT_RESET: '1' }
    : {};
  const node = new ServerNode(name, dataDir, live.root, env);
  live.nodes.push(node);
  await node.startOnFreePort();
  if (options.password !== undefined) {
    // CREATE ROLE takes no bind parameters, so let the server quote the password.
    const [{ sql }] = await node.query("SELECT format('CREATE ROLE app LOGIN PASSWORD %L', $1::text) AS sql", [
      options.password,
    ]);
    await node.query(sql);
  }
  return node;
}

async function createReplica(
  live: LiveCluster,
  primary: ServerNode,
  name: string,
  config: Record<string, string>,
): Promise<ServerNode> {
  const dataDir = path.join(live.root, name);
  // --checkpoint=fast: the default spread checkpoint can make pg_basebackup wait for minutes.
  await runServerProgram(
    'pg_basebackup',
    [
      '-D',
      dataDir,
      '-R',
      '-X',
      'stream',
      '--checkpoint=fast',
      '--no-sync',
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
    ],
    { cwd: live.root },
  );
  // Rewritten rather than inherited: the primary's own settings (primaryConfig) stay on the primary, and
  // application_name lets tests find this replica in pg_stat_replication.
  writeConfig(dataDir, {
    ...BASE_CONFIG,
    ...config,
    primary_conninfo: `host=127.0.0.1 port=${primary.port} user=postgres application_name=${name}`,
  });
  giveToServerUser(dataDir);
  const node = new ServerNode(name, dataDir, live.root);
  live.nodes.push(node);
  await node.startOnFreePort();
  return node;
}

async function waitForStreaming(primary: PgNode, replicas: PgNode[], timeoutMs: number): Promise<void> {
  const names = replicas.map((r) => r.name);
  const deadline = Date.now() + timeoutMs;
  while (names.length > 0) {
    const rows = await primary.query(
      "SELECT application_name AS name FROM pg_stat_replication WHERE state = 'streaming'",
    );
    const streaming = new Set(rows.map((r) => r.name as string));
    if (names.every((n) => streaming.has(n))) return;
    if (Date.now() > deadline)
      throw new Error(
        `replicas not streaming after ${timeoutMs} ms: want ${names.join(', ')}, have ${[...streaming].join(', ') || 'none'}`,
      );
    await sleep(100);
  }
}

export async function startCluster(options: ClusterOptions = {}): Promise<PgCluster> {
  ensureBinaries(options);
  const live: LiveCluster = { root: makeRoot(), nodes: [], destroyed: false };
  liveClusters.add(live);
  try {
    const primary = await createPrimary(live, 'primary', options);
    const names = Array.from({ length: options.replicas ?? 0 }, (_, i) => `replica${i + 1}`);
    // In parallel: each replica spends most of its time waiting for a checkpoint or for its server to start.
    // allSettled, not all: tearing down while a sibling replica is still being copied would leave it behind.
    const settled = await Promise.allSettled(
      names.map((name) => createReplica(live, primary, name, options.replicaConfig ?? {})),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const replicas = settled.map((r) => (r as PromiseFulfilledResult<ServerNode>).value);
    await waitForStreaming(primary, replicas, 30_000);
    return { primary, replicas, nodes: [primary, ...replicas], destroy: () => destroyCluster(live) };
  } catch (error) {
    await destroyCluster(live);
    throw error;
  }
}

/** One independent server (for comparisons between servers that do not replicate); destroy() removes it. */
export async function startStandalone(options: StandaloneOptions = {}): Promise<PgServer> {
  ensureBinaries(options);
  const live: LiveCluster = { root: makeRoot(), nodes: [], destroyed: false };
  liveClusters.add(live);
  try {
    const node = await createPrimary(live, 'standalone', options);
    return Object.assign(node, { destroy: () => destroyCluster(live) });
  } catch (error) {
    await destroyCluster(live);
    throw error;
  }
}

/**
 * Waits until every replica still in recovery has replayed everything the primary had committed when this
 * was called. Promoted replicas are skipped (they never replay again); a paused one makes this time out.
 */
export async function waitForReplay(cluster: PgCluster, timeoutMs = 30_000): Promise<void> {
  const target = await replayTarget(cluster.primary);
  const deadline = Date.now() + timeoutMs;
  for (const replica of cluster.replicas) {
    let why = await replayLag(replica, target);
    while (why) {
      if (Date.now() > deadline)
        throw new Error(
          `${replica.name} did not replay the primary's WAL up to ${target} within ${timeoutMs} ms: ${why}`,
        );
      await sleep(50);
      why = await replayLag(replica, target);
    }
  }
}

/** Why the replica has not caught up with target yet, or '' when it has (or is no longer a replica). */
async function replayLag(replica: PgNode, target: string): Promise<string> {
  try {
    // A replica being restarted refuses connections for a moment: that is lag too, not a failure.
    const [row] = await replica.query(
      'SELECT pg_is_in_recovery() AS recovering, pg_last_wal_replay_lsn()::text AS replayed, pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught',
      [target],
    );
    return !row.recovering || row.caught ? '' : `replayed up to ${row.replayed}`;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * An LSN at or after every commit made so far on the primary. Not pg_current_wal_lsn(): with
 * synchronous_commit=off a commit can still sit in WAL buffers, past the write position, and replicas only
 * receive flushed WAL. A transactional no-op message, committed synchronously, flushes everything before it.
 */
async function replayTarget(primary: PgNode): Promise<string> {
  const rows = await primary.query(
    "SET synchronous_commit = on; SELECT pg_logical_emit_message(true, 'cnbook-wait-for-replay', '')::text AS lsn",
  );
  return rows[0].lsn as string;
}

// ---------------------------------------------------------------------------------------------------------
// Teardown

async function destroyCluster(live: LiveCluster): Promise<void> {
  if (live.destroyed) return;
  live.destroyed = true;
  await Promise.all(live.nodes.map((node) => node.stop('immediate').catch(() => undefined)));
  await fs.promises.rm(live.root, { recursive: true, force: true }).catch(() => undefined);
  liveClusters.delete(live);
}

/**
 * Synchronous, for process exit and signals: stops every server this process still runs and deletes its
 * folders. Vitest stops a worker with SIGTERM and SIGKILLs it 500 ms later, too soon for one `pg_ctl stop`
 * per server through runuser, so this signals the postmasters itself (SIGQUIT is PostgreSQL's immediate
 * shutdown) and leaves the deletion to a detached `rm`, which outlives a SIGKILL.
 */
function destroyAllSync(): void {
  const stopping = [...liveClusters]
    .flatMap((live) => live.nodes)
    .flatMap((node) => {
      const pid = postmasterPid(node.dataDir);
      if (pid !== undefined) signal(pid, 'SIGQUIT');
      return pid === undefined ? [] : [{ pid, pidFile: path.join(node.dataDir, 'postmaster.pid') }];
    });
  // The postmaster deletes its pid file last, after all its children have exited.
  const deadline = Date.now() + 300;
  while (stopping.some((s) => fs.existsSync(s.pidFile)) && Date.now() < deadline) sleepSync(10);
  for (const s of stopping) if (fs.existsSync(s.pidFile)) signal(s.pid, 'SIGKILL');
  for (const live of liveClusters) removeDetached(live.root);
  liveClusters.clear();
}

/** The pid of the postmaster running in dataDir, checked against its command line: pids get reused. */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const ps = spawnSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000 });
    return pid > 0 && ps.stdout.includes(dataDir) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function removeDetached(root: string): void {
  try {
    spawn('rm', ['-rf', '--', root], { detached: true, stdio: 'ignore' }).unref();
  } catch {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function installSafetyNet(): void {
  const key = Symbol.for('cnbook.pgCluster.safetyNet');
  const global = globalThis as Record<symbol, unknown>;
  if (global[key]) return;
  global[key] = true;
  process.once('exit', destroyAllSync);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      destroyAllSync();
      // Listening for a signal cancels Node's default exit; restore it unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
  // A vitest worker whose parent died (SIGINT sent to vitest alone, not its process group) is orphaned
  // and would run its tests to the end before exiting; the closed IPC channel says so at once.
  if (process.send) process.once('disconnect', destroyAllSync);
}
installSafetyNet();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
