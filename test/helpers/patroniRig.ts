/**
 * A real Patroni cluster for tests: one etcd, three Patroni 3.0.2 nodes on Debian's PostgreSQL 15 (Patroni
 * needs pg_basebackup and pg_rewind, which the npm binaries lack), and HAProxy with a read-write port and a
 * round-robin read port, all on 127.0.0.1, run as the servers' unprivileged user. It stands for the clusters
 * on-call engineers meet: roles that move under the profile, proxies in front, members that die.
 * Needs Debian's patroni, etcd-server, haproxy and postgresql-15 (.ci/install-test-packages.sh installs them).
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { Client } from 'pg';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { signal, stopServersSync } from '../../src/sandbox/cleanup';
import { AS_ROOT, prepareFolder, serverUser } from '../../src/sandbox/processes';
import { freePort } from '../../src/sandbox/server';
import { haproxyConfig, NodePorts, patroniConfig, PG15_BIN } from './patroniConfig';

const PATRONICTL = '/usr/bin/patronictl';
const PROGRAMS = ['/usr/bin/patroni', PATRONICTL, '/usr/bin/etcd', '/usr/sbin/haproxy'];

/** Why the Patroni tests cannot run here, or undefined when they can. */
export function patroniRigMissing(): string | undefined {
  const missing = [...PROGRAMS, path.join(PG15_BIN, 'pg_rewind')].filter((p) => !fs.existsSync(p));
  if (missing.length === 0) return undefined;
  return `missing ${missing.join(', ')} (apt-get install patroni etcd-server haproxy postgresql-15)`;
}

export interface RigMember extends NodePorts {
  apiUrl: string;
  dataDir: string;
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
}

/** Patroni's GET /cluster, as much of it as the rig waits on. */
export interface ClusterJson {
  members: { name: string; role: string; state: string; port: number; timeline?: number; lag?: number | string }[];
  pause?: boolean;
}

export interface PatroniRig {
  dir: string;
  members: RigMember[];
  rwPort: number;
  roPort: number;
  patronictl(...args: string[]): Promise<string>;
  /** Maintenance mode on or off (`patronictl pause`/`resume`), whatever it was, once Patroni says so. */
  maintenance(on: boolean): Promise<void>;
  cluster(): Promise<ClusterJson>;
  /** Polls /cluster (any member that answers) until `ready` holds; throws with the last view after timeoutMs. */
  waitFor(what: string, ready: (c: ClusterJson) => boolean, timeoutMs?: number): Promise<ClusterJson>;
  leader(): Promise<RigMember>;
  /** Waits until HAProxy's read-write port reaches the leader and its read port a replica. */
  waitForProxy(): Promise<void>;
  member(name: string): RigMember;
  /** Runs one statement on a member, on a fresh connection. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(name: string, sql: string, params?: unknown[]): Promise<any[]>;
  /** SIGKILLs a member's postmaster (a crashed server; Patroni itself stays up). */
  killPostmaster(name: string): void;
  /** Stops a member's Patroni and its PostgreSQL at once (a dead machine). */
  killMember(name: string): void;
  destroy(): Promise<void>;
}

interface Started {
  child: ChildProcess;
  pidFile: string;
}

/** Runs a program as the servers' user, through `sh -c exec` so that its own pid lands in pidFile. */
function startAsServerUser(dir: string, label: string, argv: string[]): Started {
  const pidFile = path.join(dir, `${label}.pid`);
  const log = path.join(dir, `${label}.out`);
  const quoted = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const script = `echo $$ > '${pidFile}'; exec ${quoted} >>'${log}' 2>&1`;
  const [command, args] = AS_ROOT
    ? ['runuser', ['-u', serverUser(), '--', 'sh', '-c', script]]
    : ['sh', ['-c', script]];
  const child = spawn(command, args, { cwd: dir, stdio: 'ignore', env: { ...process.env, HOME: dir } });
  return { child, pidFile };
}

function pidOf(started: Started): number | undefined {
  try {
    const pid = Number(fs.readFileSync(started.pidFile, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function logTail(dir: string, label: string): string {
  try {
    return fs.readFileSync(path.join(dir, `${label}.out`), 'utf8').slice(-1500);
  } catch {
    return '(no log)';
  }
}

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return (await response.json()) as T;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function allocatePorts(): Promise<{ etcd: [number, number]; nodes: NodePorts[]; rw: number; ro: number }> {
  const taken: number[] = [];
  // Distinct ports: freePort may hand out the same one twice once it is released.
  const next = async (): Promise<number> => {
    const port = await freePort();
    if (taken.includes(port)) return next();
    taken.push(port);
    return port;
  };
  const etcd: [number, number] = [await next(), await next()];
  const nodes: NodePorts[] = [];
  for (const name of ['pg1', 'pg2', 'pg3']) nodes.push({ name, pgPort: await next(), apiPort: await next() });
  return { etcd, nodes, rw: await next(), ro: await next() };
}

function startEtcd(dir: string, [client, peer]: [number, number]): Started {
  return startAsServerUser(dir, 'etcd', [
    '/usr/bin/etcd',
    '--name=rig',
    `--data-dir=${dir}/etcd`,
    `--listen-client-urls=http://127.0.0.1:${client}`,
    `--advertise-client-urls=http://127.0.0.1:${client}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-cluster=rig=http://127.0.0.1:${peer}`,
  ]);
}

export async function startPatroniRig(): Promise<PatroniRig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-patroni-'));
  prepareFolder(dir);
  const ports = await allocatePorts();
  const processes = new Map<string, Started>();
  processes.set('etcd', startEtcd(dir, ports.etcd));
  const members: RigMember[] = ports.nodes.map((n) => ({
    ...n,
    apiUrl: `http://127.0.0.1:${n.apiPort}`,
    dataDir: path.join(dir, `data-${n.name}`),
    url: `postgres://postgres@127.0.0.1:${n.pgPort}/postgres`,
  }));
  for (const m of members) {
    fs.mkdirSync(path.join(dir, `log-${m.name}`));
    fs.writeFileSync(path.join(dir, `${m.name}.yml`), patroniConfig(m, ports.etcd[0], dir));
  }
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), haproxyConfig(members, ports.rw, ports.ro));
  prepareFolder(dir);
  const rig = makeRig(dir, members, processes, ports.rw, ports.ro);
  try {
    await waitForEtcd(dir, ports.etcd[0]);
    // The first node bootstraps alone, so that it is the one that runs initdb; the others clone it.
    processes.set('pg1', startAsServerUser(dir, 'pg1', ['/usr/bin/patroni', path.join(dir, 'pg1.yml')]));
    await rig.waitFor('pg1 to lead', (c) => c.members.some((m) => m.role === 'leader' && m.state === 'running'));
    for (const name of ['pg2', 'pg3'])
      processes.set(name, startAsServerUser(dir, name, ['/usr/bin/patroni', path.join(dir, `${name}.yml`)]));
    processes.set(
      'haproxy',
      startAsServerUser(dir, 'haproxy', ['/usr/sbin/haproxy', '-db', '-f', `${dir}/haproxy.cfg`]),
    );
    await rig.waitFor('two streaming replicas', (c) => c.members.filter(isStreamingReplica).length === 2, 90_000);
    await waitForStreaming(rig);
    await rig.waitForProxy();
  } catch (error) {
    await rig.destroy();
    throw error;
  }
  return rig;
}

/** Patroni 3.0.2 calls a replica "running" before its WAL receiver streams: ask the leader. */
async function waitForStreaming(rig: PatroniRig): Promise<void> {
  const leader = await rig.leader();
  for (let i = 0; i < 200; i++) {
    const rows = await rig.query(
      leader.name,
      "SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'",
    );
    if (rows[0].n === 2) return;
    await sleep(100);
  }
  throw new Error('Patroni rig: the replicas did not stream within 20 s');
}

/** The port of the server a connection to 127.0.0.1:port reaches, or undefined when none answers. */
export async function serverPortBehind(port: number): Promise<number | undefined> {
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query('SELECT inet_server_port() AS port')).rows[0].port;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Until the read-write port reaches the leader and the read port, over a few connections, every replica. */
async function waitForProxy(rig: PatroniRig): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const leader = await rig.leader();
    const replicas = rig.members.filter((m) => m.name !== leader.name).map((m) => m.pgPort);
    const seen = new Set<number | undefined>();
    for (let i = 0; i < 2 * replicas.length; i++) seen.add(await serverPortBehind(rig.roPort));
    const rw = await serverPortBehind(rig.rwPort);
    if (rw === leader.pgPort && replicas.every((p) => seen.has(p)) && seen.size === replicas.length) return;
    await sleep(250);
  }
  const log = logTail(rig.dir, 'haproxy');
  throw new Error(`Patroni rig: HAProxy did not route to the leader and every replica within 30 s:\n${log}`);
}

async function queryMember(member: RigMember, sql: string, params?: unknown[]) {
  const client = new Client({ connectionString: member.url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export function isStreamingReplica(m: ClusterJson['members'][number]): boolean {
  return m.role === 'replica' && (m.state === 'streaming' || m.state === 'running');
}

async function waitForEtcd(dir: string, port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await fetchJson(`http://127.0.0.1:${port}/health`);
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`etcd did not answer on ${port}:\n${logTail(dir, 'etcd')}`);
}

function makeRig(
  dir: string,
  members: RigMember[],
  processes: Map<string, Started>,
  rwPort: number,
  roPort: number,
): PatroniRig {
  const member = (name: string) => {
    const found = members.find((m) => m.name === name);
    if (!found) throw new Error(`no rig member ${name}`);
    return found;
  };
  const cluster = async () => {
    let lastError: unknown;
    for (const m of members) {
      try {
        return await fetchJson<ClusterJson>(`${m.apiUrl}/cluster`);
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`no Patroni member answered /cluster: ${String(lastError)}`);
  };
  const waitFor = async (what: string, ready: (c: ClusterJson) => boolean, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    let last: ClusterJson | string = 'nothing yet';
    while (Date.now() < deadline) {
      try {
        const view = await cluster();
        if (ready(view)) return view;
        last = view;
      } catch (error) {
        last = String(error);
      }
      await sleep(250);
    }
    const logs = members.map((m) => `${m.name}: ${logTail(dir, m.name)}`).join('\n');
    throw new Error(`Patroni rig: waited ${timeoutMs} ms for ${what}; last /cluster: ${JSON.stringify(last)}\n${logs}`);
  };
  const onExit = () => stopRigSync(dir, members, processes);
  process.on('exit', onExit);
  const killMember = (name: string) => {
    const started = processes.get(name);
    const pid = started && pidOf(started);
    if (pid !== undefined) signal(pid, 'SIGKILL');
    stopServersSync([member(name).dataDir], 'immediate', 2000);
  };
  const rig: PatroniRig = {
    dir,
    members,
    rwPort,
    roPort,
    patronictl: (...args) => patronictl(dir, args),
    maintenance: async (on) => {
      if ((await cluster()).pause === true) {
        if (!on) await patronictl(dir, ['resume', '--wait']);
      } else if (on) await patronictl(dir, ['pause', '--wait']);
      await waitFor(on ? 'maintenance mode' : 'maintenance mode to end', (c) => (c.pause === true) === on);
    },
    cluster,
    waitFor,
    member,
    query: (name, sql, params) => queryMember(member(name), sql, params),
    waitForProxy: () => waitForProxy(rig),
    leader: async () => {
      const view = await waitFor('a leader', (c) => c.members.some((m) => m.role === 'leader'));
      return member(view.members.find((m) => m.role === 'leader')!.name);
    },
    killPostmaster: (name) => stopServersSync([member(name).dataDir], 'immediate', 0),
    killMember,
    destroy: async () => {
      process.off('exit', onExit);
      stopRigSync(dir, members, processes);
    },
  };
  return rig;
}

function patronictl(dir: string, args: string[]): Promise<string> {
  const argv = ['-c', path.join(dir, 'pg1.yml'), ...args];
  const [command, commandArgs] = AS_ROOT
    ? ['runuser', ['-u', serverUser(), '--', PATRONICTL, ...argv]]
    : [PATRONICTL, argv];
  return new Promise((resolve, reject) => {
    const env = { ...process.env, HOME: dir };
    execFile(command, commandArgs, { cwd: dir, env, timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) =>
      error ? reject(new Error(`patronictl ${args.join(' ')} failed:\n${stderr}${stdout}`)) : resolve(stdout),
    );
  });
}

/** Synchronous, so that an exit handler can run it too: no rig outlives the test process that started it. */
function stopRigSync(dir: string, members: RigMember[], processes: Map<string, Started>): void {
  // Patroni first (it would restart its PostgreSQL), then the servers, then etcd and HAProxy.
  for (const [label, started] of processes) {
    const pid = pidOf(started);
    if (pid !== undefined && label.startsWith('pg')) signal(pid, 'SIGKILL');
  }
  stopServersSync(
    members.map((m) => m.dataDir),
    'immediate',
    3000,
  );
  for (const started of processes.values()) {
    const pid = pidOf(started);
    if (pid !== undefined) signal(pid, 'SIGKILL');
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
