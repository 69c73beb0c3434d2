/**
 * A named, persistent sandbox: a primary `us-east`, streaming replicas `us-west`, `eu-west`,
 * `ap-southeast` (physical slots, copies of the primary's data dir), and `target`, a standalone copy fed by
 * logical replication from the primary (a copy that can drift). Real servers from the npm binaries; faults
 * are injected in them (faults.ts). The state lives in the folder, so another process can reattach.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { faultsKeptOverRestart, type FaultContext } from '../core/sandbox/faults';
import { fakeTimeLibrary, requestedMajor } from './binaries';
import { postmasterPid, signal, startWatchdog, stopServersSync, stopWatchdog } from './cleanup';
import { copyDataDir } from './copy';
import { prepareFolder } from './processes';
import { SAMPLE_SCHEMA } from './sampleData';
import { BASE_CONFIG, initDataDir, portInUse, ServerNode, waitForStreaming, writeConfig, writeHba } from './server';
import {
  DEFAULT_REPLICAS,
  MAX_REPLICAS,
  NodeState,
  PRIMARY_NAME,
  readState,
  replicaNames,
  SandboxState,
  TARGET_NAME,
  writeState,
} from './state';

export class SandboxError extends Error {}

export interface StartOptions {
  replicas?: number;
  /** Stop the servers when this process exits (VS Code, `cnbook run --sandbox`); without it they stay up. */
  owner?: number;
}

export interface NodeStatus extends NodeState {
  running: boolean;
  url: string;
}

export interface SandboxStatus {
  name: string;
  folder: string;
  exists: boolean;
  complete: boolean;
  major?: number;
  nodes: NodeStatus[];
  faults: string[];
  /** The `proxy` fault's ports, while it is injected. */
  proxy?: { rwPort: number; roPort: number };
  /** The writable server now, when a failover or switchover moved it from us-east. */
  primary?: string;
  /** Servers a fault stopped on purpose. */
  down?: string[];
}

/** us-east's own settings on top of BASE_CONFIG (it feeds the logical copy), kept when it is rebuilt. */
export const PRIMARY_CONFIG = { wal_level: 'logical', max_replication_slots: '16' };
const PUBLICATION = 'cnbook_sandbox';
const SUBSCRIPTION = 'cnbook_target';
/** The logical slot on the primary that feeds `target` (named as its subscription). */
export const TARGET_SLOT = SUBSCRIPTION;

export class Sandbox {
  constructor(
    readonly name: string,
    readonly folder: string,
  ) {}

  state(): SandboxState | undefined {
    return readState(this.folder);
  }

  node(node: NodeState): ServerNode {
    const offset = this.state()?.fakeTime?.[node.name];
    const lib = fakeTimeLibrary();
    const env: Record<string, string> =
      offset && lib ? { LD_PRELOAD: lib, FAKETIME: offset, FAKETIME_DONT_RESET: '1' } : {};
    return new ServerNode(node.name, path.join(this.folder, node.name), this.folder, env, node.port);
  }

  /**
   * The names a fault spec may use: running standbys of the primary as it is now (the old primary after a
   * switchover is one), and every server, running or stopped on purpose (so that `clear down=X` parses).
   */
  faultContext(): FaultContext {
    const down = this.state()?.down ?? [];
    const nodes = this.status().nodes.filter((n) => n.running || down.includes(n.name));
    const primary = this.primaryName();
    return {
      replicas: nodes.filter((n) => n.running && n.role !== 'target' && n.name !== primary).map((n) => n.name),
      servers: nodes.map((n) => n.name),
    };
  }

  /** The writable server: the one a failover or switchover promoted, else the one built as primary. */
  primaryName(): string {
    return this.state()?.primary ?? PRIMARY_NAME;
  }

  update(change: (state: SandboxState) => SandboxState): void {
    writeState(this.folder, change(this.requireState()));
  }

  nodes(): ServerNode[] {
    return (this.state()?.nodes ?? []).map((n) => this.node(n));
  }

  status(): SandboxStatus {
    const state = this.state();
    const nodes = (state?.nodes ?? []).map((n) => {
      const server = this.node(n);
      return { ...n, running: postmasterPid(server.dataDir) !== undefined, url: server.url };
    });
    return {
      name: this.name,
      folder: this.folder,
      exists: fs.existsSync(this.folder),
      complete: state?.complete ?? false,
      major: state?.major,
      nodes,
      faults: state?.faults ?? [],
      ...(state?.proxy ? { proxy: { rwPort: state.proxy.rwPort, roPort: state.proxy.roPort } } : {}),
      ...(state?.primary ? { primary: state.primary } : {}),
      ...(state?.down?.length ? { down: state.down } : {}),
    };
  }

  /** Up, apart from the servers a fault stopped on purpose (`down=`, a failover's old primary). */
  running(): boolean {
    const status = this.status();
    const down = this.state()?.down ?? [];
    const up = status.nodes.filter((n) => !down.includes(n.name));
    return status.complete && up.length > 0 && up.every((n) => n.running);
  }

  /** Starts the sandbox: creates it the first time, restarts it from its folder after that. */
  async start(options: StartOptions = {}): Promise<SandboxStatus> {
    const state = this.state();
    if (state?.complete) {
      if (this.running())
        throw new SandboxError(`sandbox '${this.name}' is already running (${describePorts(state)}); stop it first`);
      if (options.replicas !== undefined && options.replicas !== countReplicas(state))
        throw new SandboxError(
          `sandbox '${this.name}' has ${countReplicas(state)} replicas; 'cnbook sandbox reset --replicas ${options.replicas}' rebuilds it with ${options.replicas}`,
        );
      await this.restart(state);
    } else if (fs.existsSync(this.folder) && fs.readdirSync(this.folder).length > 0) {
      throw new SandboxError(
        `${this.folder} holds a sandbox whose creation did not finish (a crashed or interrupted start): ` +
          `'cnbook sandbox reset' rebuilds it`,
      );
    } else {
      await this.create(options.replicas ?? DEFAULT_REPLICAS);
    }
    if (options.owner !== undefined) this.watchFor(options.owner);
    return this.status();
  }

  /** Starts it unless it already runs; for `cnbook run --sandbox` and VS Code. */
  async ensureRunning(options: StartOptions = {}): Promise<SandboxStatus> {
    if (!this.running()) return this.start(options);
    // Taken over (a reloaded VS Code window): the new owner's watchdog replaces the old one's.
    if (options.owner !== undefined) this.watchFor(options.owner);
    return this.status();
  }

  async stop(): Promise<SandboxStatus> {
    const state = this.state();
    const nodes = this.nodes().filter((n) => postmasterPid(n.dataDir) !== undefined);
    if (!state || nodes.length === 0)
      throw new SandboxError(`sandbox '${this.name}' is not running${state ? '' : ` (no sandbox in ${this.folder})`}`);
    await Promise.all(nodes.map((n) => n.stop('fast')));
    stopWatchdog(state.watchdog);
    // The proxy fault's process outlives no sandbox: stopping ends it (the servers' sessions end with them).
    if (state.proxy?.pid) signal(state.proxy.pid, 'SIGTERM');
    // A paused replay or a lock holder ends with the servers: the state keeps only what the data still holds.
    const faults = faultsKeptOverRestart(state.faults);
    writeState(this.folder, { ...state, faults, watchdog: undefined, proxy: undefined, pauseWriter: undefined });
    return this.status();
  }

  /** Back to healthy: stops whatever runs, deletes the folder and builds the sandbox again. */
  async reset(options: StartOptions = {}): Promise<SandboxStatus> {
    const state = this.state();
    const replicas = options.replicas ?? (state?.complete ? countReplicas(state) : DEFAULT_REPLICAS);
    if (fs.existsSync(this.folder)) {
      stopWatchdog(state?.watchdog);
      if (state?.proxy?.pid) signal(state.proxy.pid, 'SIGTERM');
      const dataDirs = fs
        .readdirSync(this.folder, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => path.join(this.folder, e.name));
      stopServersSync(dataDirs, 'immediate', 10_000);
      fs.rmSync(this.folder, { recursive: true, force: true });
    }
    await this.create(replicas);
    if (options.owner !== undefined) this.watchFor(options.owner);
    return this.status();
  }

  requireState(): SandboxState {
    const state = this.state();
    if (!state?.complete || !this.running())
      throw new SandboxError(`sandbox '${this.name}' is not running: start it with 'cnbook sandbox start'`);
    return state;
  }

  private watchFor(owner: number): void {
    const state = this.state();
    if (!state) return;
    stopWatchdog(state.watchdog);
    const dataDirs = state.nodes.map((n) => path.join(this.folder, n.name));
    writeState(this.folder, { ...state, watchdog: startWatchdog(owner, { dataDirs, mode: 'fast' }) });
  }

  private async create(replicaCount: number): Promise<void> {
    if (!Number.isInteger(replicaCount) || replicaCount < 0 || replicaCount > MAX_REPLICAS)
      throw new SandboxError(`--replicas expects 0 to ${MAX_REPLICAS}, got ${replicaCount}`);
    prepareFolder(this.folder);
    const names = replicaNames(replicaCount);
    const state: SandboxState = {
      version: 1,
      name: this.name,
      major: requestedMajor(),
      complete: false,
      nodes: [],
      faults: [],
    };
    writeState(this.folder, state);
    try {
      await this.build(state, names);
    } catch (error) {
      // Leave nothing running; the folder stays (and says it is incomplete) for a look at the logs.
      stopServersSync(
        state.nodes.map((n) => path.join(this.folder, n.name)).concat(path.join(this.folder, PRIMARY_NAME)),
        'immediate',
        10_000,
      );
      throw error;
    }
  }

  private async build(state: SandboxState, names: string[]): Promise<void> {
    const primary = this.fresh(PRIMARY_NAME);
    // Its own initdb, not a copy: a copy would share the primary's system identifier and look like a
    // second writable primary of the same cluster (split brain) instead of a separate database.
    const target = this.fresh(TARGET_NAME);
    await Promise.all([primary, target].map((n) => this.initialise(n)));
    state.nodes.push({ name: PRIMARY_NAME, role: 'primary', port: primary.port });
    state.nodes.push({ name: TARGET_NAME, role: 'target', port: target.port });
    writeState(this.folder, state);
    // One by one: a logical slot cannot be created in a transaction that has written.
    for (const statement of slotStatements(names)) await primary.query(statement);
    await primary.stop('fast');
    const replicas = names.map((name) => {
      const node = this.fresh(name);
      copyDataDir(primary.dataDir, node.dataDir, false);
      fs.writeFileSync(path.join(node.dataDir, 'standby.signal'), '');
      return node;
    });
    await primary.start();
    for (const node of replicas) writeConfig(node.dataDir, replicaConfig(node.name, primary.port));
    await Promise.all(replicas.map((n) => n.startOnFreePort()));
    state.nodes.splice(1, 0, ...replicas.map((n) => ({ name: n.name, role: 'replica' as const, port: n.port })));
    writeState(this.folder, state);
    await target.query(subscriptionStatement(primary.port));
    await waitForStreaming(primary, names, 30_000, (message) => new SandboxError(message));
    writeState(this.folder, { ...state, complete: true });
  }

  private fresh(name: string): ServerNode {
    return new ServerNode(name, path.join(this.folder, name), this.folder);
  }

  /** initdb, configuration, start, and the sample data (deterministic, so both copies hold the same rows). */
  private async initialise(node: ServerNode): Promise<void> {
    await initDataDir(node.dataDir, this.folder);
    writeConfig(node.dataDir, { ...BASE_CONFIG, ...PRIMARY_CONFIG });
    writeHba(node.dataDir, false);
    await node.startOnFreePort();
    await node.query(SAMPLE_SCHEMA);
  }

  private async restart(state: SandboxState): Promise<void> {
    // Servers a fault stopped stay stopped until it is cleared.
    const servers = state.nodes.filter((n) => !state.down?.includes(n.name)).map((n) => this.node(n));
    const primary = servers.find((s) => s.name === (state.primary ?? PRIMARY_NAME));
    if (!primary) return this.restartWithoutPrimary(servers);
    const oldPort = primary.port;
    await startOnKnownOrFreePort(primary);
    const rest = servers.filter((s) => s !== primary);
    if (primary.port !== oldPort)
      for (const s of rest) if (s.name !== TARGET_NAME) repointReplica(s, oldPort, primary.port);
    await Promise.all(rest.map((s) => startOnKnownOrFreePort(s)));
    const target = rest.find((s) => s.name === TARGET_NAME);
    if (target && primary.port !== oldPort) await repointTarget(target, primary.port);
    const nodes = state.nodes.map((n) => ({ ...n, port: servers.find((s) => s.name === n.name)?.port ?? n.port }));
    writeState(this.folder, { ...state, nodes, faults: faultsKeptOverRestart(state.faults) });
  }

  /** With the primary down on purpose: the others start on their own ports (they wait for a primary). */
  private async restartWithoutPrimary(servers: ServerNode[]): Promise<void> {
    await Promise.all(servers.map((s) => s.start()));
  }
}

function countReplicas(state: SandboxState): number {
  return state.nodes.filter((n) => n.role === 'replica').length;
}

function describePorts(state: SandboxState): string {
  return state.nodes.map((n) => `${n.name} on ${n.port}`).join(', ');
}

export function primaryConninfo(port: number, applicationName: string): string {
  // connect_timeout: a walreceiver or subscription worker stuck on a port someone else took gives up.
  return `host=127.0.0.1 port=${port} user=postgres dbname=postgres connect_timeout=5 application_name=${applicationName}`;
}

function replicaConfig(name: string, primaryPort: number): Record<string, string> {
  return { ...BASE_CONFIG, primary_conninfo: primaryConninfo(primaryPort, name), primary_slot_name: slotName(name) };
}

export function slotName(replica: string): string {
  return replica.replace(/-/g, '_');
}

function slotStatements(names: string[]): string[] {
  return [
    ...names.map((n) => `SELECT pg_create_physical_replication_slot('${slotName(n)}', true);`),
    `CREATE PUBLICATION ${PUBLICATION} FOR ALL TABLES;`,
    // Created before the copy, so the target (a copy of this data) misses no change made after it.
    `SELECT pg_create_logical_replication_slot('${SUBSCRIPTION}', 'pgoutput');`,
  ];
}

function subscriptionStatement(primaryPort: number): string {
  return (
    `CREATE SUBSCRIPTION ${SUBSCRIPTION} CONNECTION '${primaryConninfo(primaryPort, TARGET_NAME)}' ` +
    `PUBLICATION ${PUBLICATION} WITH (create_slot = false, slot_name = '${SUBSCRIPTION}', copy_data = false)`
  );
}

async function repointTarget(target: ServerNode, primaryPort: number): Promise<void> {
  await target.query(`ALTER SUBSCRIPTION ${SUBSCRIPTION} CONNECTION '${primaryConninfo(primaryPort, TARGET_NAME)}'`);
  // A worker already connecting to the old port does not see the change; the launcher restarts it.
  await target.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_subscription WHERE subname = $1 AND pid IS NOT NULL',
    [SUBSCRIPTION],
  );
}

/** Keeps the replica's own settings (a lag fault's ALTER SYSTEM) and changes only the primary's port. */
function repointReplica(replica: ServerNode, oldPort: number, newPort: number): void {
  const file = path.join(replica.dataDir, 'postgresql.auto.conf');
  const text = fs
    .readFileSync(file, 'utf8')
    .replace(`host=127.0.0.1 port=${oldPort} `, `host=127.0.0.1 port=${newPort} `);
  fs.writeFileSync(file, text);
}

async function startOnKnownOrFreePort(server: ServerNode): Promise<void> {
  if (postmasterPid(server.dataDir) !== undefined) return;
  if (server.port > 0 && !(await portInUse(server.port))) {
    try {
      return await server.start();
    } catch (error) {
      if (!(await portInUse(server.port))) throw error;
    }
  }
  await server.startOnFreePort();
}
