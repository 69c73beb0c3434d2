/**
 * Throwaway clusters for the integration tests, the demo's helpers and the benchmark: a primary with
 * streaming replicas on free loopback ports, in a temp folder that is always removed (on destroy, on exit
 * and signals, and by a watchdog when the owning process is killed). Binaries from npm (see binaries.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fakeTimeLibrary, resolveBinaries } from './binaries';
import { startWatchdog, stopServersSync, stopWatchdog } from './cleanup';
import { copyDataDir } from './copy';
import { prepareFolder } from './processes';
import { BASE_CONFIG, initDataDir, ServerNode, waitForStreaming, writeConfig, writeHba } from './server';

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

export function pgBin(name: string): string {
  return path.join(resolveBinaries().binDir, name);
}

export function fakeTimeAvailable(): boolean {
  return fakeTimeLibrary() !== undefined;
}

function checkOptions(options: StandaloneOptions): void {
  resolveBinaries();
  if (options.fakeTimeOffset && !fakeTimeAvailable())
    throw new Error('fakeTimeOffset needs libfaketime: apt-get install -y libfaketime (.ci/run installs it)');
}

interface LiveCluster {
  root: string;
  nodes: ServerNode[];
  destroyed: boolean;
  watchdog?: number;
}

// Shared through globalThis so that two copies of this module (vitest re-imports per file) keep one
// registry and one set of process handlers.
const REGISTRY = Symbol.for('cnbook.pgCluster.live');
const liveClusters: Set<LiveCluster> = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??=
  new Set<LiveCluster>()) as Set<LiveCluster>;

function openCluster(names: string[]): LiveCluster {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-pg-'));
  const live: LiveCluster = { root, nodes: [], destroyed: false };
  liveClusters.add(live);
  try {
    prepareFolder(root);
  } catch (error) {
    fs.rmSync(root, { recursive: true, force: true });
    liveClusters.delete(live);
    throw error;
  }
  const dataDirs = names.map((n) => path.join(root, n));
  live.watchdog = startWatchdog(process.pid, { dataDirs, mode: 'immediate', removeFolder: root });
  return live;
}

async function createPrimary(live: LiveCluster, name: string, options: StandaloneOptions): Promise<ServerNode> {
  const dataDir = path.join(live.root, name);
  await initDataDir(dataDir, live.root);
  writeConfig(dataDir, { ...BASE_CONFIG, ...options.primaryConfig });
  writeHba(dataDir, options.password !== undefined);
  const lib = fakeTimeLibrary();
  const env: Record<string, string> =
    options.fakeTimeOffset && lib
      ? { LD_PRELOAD: lib, FAKETIME: options.fakeTimeOffset, FAKETIME_DONT_RESET: '1' }
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

/** A standby made from a copy of the stopped primary's data dir; started by the caller. */
function copyReplica(live: LiveCluster, primary: ServerNode, name: string): ServerNode {
  const dataDir = path.join(live.root, name);
  copyDataDir(primary.dataDir, dataDir, false);
  fs.writeFileSync(path.join(dataDir, 'standby.signal'), '');
  const node = new ServerNode(name, dataDir, live.root);
  live.nodes.push(node);
  return node;
}

function configureReplica(replica: ServerNode, primary: ServerNode, config: Record<string, string>): void {
  // Rewritten rather than inherited: the primary's own settings (primaryConfig) stay on the primary, and
  // application_name lets tests find this replica in pg_stat_replication.
  writeConfig(replica.dataDir, {
    ...BASE_CONFIG,
    ...config,
    primary_conninfo: `host=127.0.0.1 port=${primary.port} user=postgres application_name=${replica.name}`,
  });
}

/** Restarts on the same port when it is still free, else on a new one (the replicas are told afterwards). */
async function restart(node: ServerNode): Promise<void> {
  try {
    await node.start();
  } catch {
    await node.startOnFreePort();
  }
}

export async function startCluster(options: ClusterOptions = {}): Promise<PgCluster> {
  checkOptions(options);
  const names = Array.from({ length: options.replicas ?? 0 }, (_, i) => `replica${i + 1}`);
  const live = openCluster(['primary', ...names]);
  try {
    const primary = await createPrimary(live, 'primary', options);
    let replicas: ServerNode[] = [];
    if (names.length > 0) {
      await primary.stop('fast');
      replicas = names.map((name) => copyReplica(live, primary, name));
      await restart(primary);
      for (const replica of replicas) configureReplica(replica, primary, options.replicaConfig ?? {});
      // allSettled, not all: tearing down while a sibling is still starting would leave it behind.
      const settled = await Promise.allSettled(replicas.map((r) => r.startOnFreePort()));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      await waitForStreaming(
        primary,
        replicas.map((r) => r.name),
        30_000,
      );
    }
    return { primary, replicas, nodes: [primary, ...replicas], destroy: () => destroyCluster(live) };
  } catch (error) {
    await destroyCluster(live);
    throw error;
  }
}

/** One independent server (for comparisons between servers that do not replicate); destroy() removes it. */
export async function startStandalone(options: StandaloneOptions = {}): Promise<PgServer> {
  checkOptions(options);
  const live = openCluster(['standalone']);
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
export async function waitForReplay(
  cluster: Pick<PgCluster, 'primary' | 'replicas'>,
  timeoutMs = 30_000,
): Promise<void> {
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

async function destroyCluster(live: LiveCluster): Promise<void> {
  if (live.destroyed) return;
  live.destroyed = true;
  await Promise.all(live.nodes.map((node) => node.stop('immediate').catch(() => undefined)));
  await fs.promises.rm(live.root, { recursive: true, force: true }).catch(() => undefined);
  stopWatchdog(live.watchdog);
  liveClusters.delete(live);
}

/**
 * Synchronous, for process exit and signals: stops every server this process still runs. Vitest stops a
 * worker with SIGTERM and SIGKILLs it 500 ms later, too soon for one `pg_ctl stop` per server through
 * runuser, so this signals the postmasters itself; each cluster's watchdog then deletes its folder.
 */
function destroyAllSync(): void {
  stopServersSync(
    [...liveClusters].flatMap((live) => live.nodes.map((n) => n.dataDir)),
    'immediate',
  );
  liveClusters.clear();
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
