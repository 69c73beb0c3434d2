/**
 * Roles found at run time on a real primary with two streaming replicas, as the cluster moves: the tests
 * share one cluster and run in order (a replica stopped, then the primary, then a replica promoted).
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindProfile, type BoundProfile } from '../../src/core/cluster/bindProfile';
import type { ConnectionEnvironment, ConnectionsConfig, Profile } from '../../src/core/connections/model';
import type { HaManagerView } from '../../src/core/connections/haManager';
import { PgCluster, startCluster } from '../helpers/pgCluster';
import { newPool } from './sqlHarness';
import { runProbeCell } from '../helpers/probeRun';
import { diagnose } from '../../src/core/diagnosis';
import { profileHosts } from '../../src/core/diagnosis/notebook';

let cluster: PgCluster;
let proxy: net.Server;
let proxyPort: number;

/** A TCP proxy in front of the primary, as HAProxy's read-write port is: the server behind it answers. */
function startProxy(targetPort: number): Promise<net.Server> {
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const close = () => (client.destroy(), upstream.destroy());
    client.on('error', close);
    upstream.on('error', close);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  cluster = await startCluster({ replicas: 2 });
  proxy = await startProxy(cluster.primary.port);
  proxyPort = (proxy.address() as net.AddressInfo).port;
});
afterAll(async () => {
  proxy?.close();
  await cluster?.destroy();
});

const environment: ConnectionEnvironment = {
  env: {},
  homeDir: '/nonexistent',
  osUser: 'postgres',
  readTextFile: () => undefined,
};

function config(profile: Profile, members?: string[]): ConnectionsConfig {
  const spec = (port: number) => ({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  const [pg1, pg2, pg3] = cluster.nodes.map((n) => spec(n.port));
  return {
    connections: { pg1: pg1!, pg2: pg2!, pg3: pg3!, 'lb-rw': spec(proxyPort) },
    profiles: { p: profile },
    ...(members ? { discovery: { p: { members } } } : {}),
  };
}

async function bind(profile: Profile, members?: string[], roles = ['primary']): Promise<BoundProfile> {
  return (await bindAndProbe(profile, members, roles)).bound;
}

/** Binds as a run does, then runs probe cells on the same sessions and diagnoses their findings with the cluster's. */
async function bindAndProbe(profile: Profile, members?: string[], roles = ['primary'], probes?: string) {
  const pool = newPool();
  try {
    const bound = await bindProfile({
      config: config(profile, members),
      profile: 'p',
      roles,
      environment,
      pool,
      statementTimeoutMs: 10_000,
    });
    const probed = probes ? await runProbeCell(probes, { bindings: bound.bindings, pool }) : [];
    const findings = [...bound.findings, ...probed];
    const hosts = profileHosts(bound.bindings);
    return { bound, findings, diagnosis: diagnose({ findings, hosts, now: new Date().toISOString() }) };
  } finally {
    await pool.closeAll();
  }
}

async function waitForSlot(active: boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const [row] = await cluster.primary.query("SELECT active FROM pg_replication_slots WHERE slot_name = 'pg3'");
    if (row?.active === active) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`slot pg3 never became ${active ? 'active' : 'inactive'}`);
}

const names = (bound: BoundProfile, role: string) => bound.bindings.get(role)?.connections.map((c) => c.name);

describe('roles found at run time', () => {
  it('a healthy cluster declared directly: the roles as declared, and nothing to say', async () => {
    const bound = await bind({ primary: 'pg1', replicas: ['pg2', 'pg3'] });
    expect(bound.findings).toEqual([]);
    expect(bound.bindings.get('primary')?.source).toBe('declared');
    expect(bound.nodes.map((n) => n.name)).toEqual(['pg1', 'pg2', 'pg3']);
  });

  it('a profile that lists members only: the primary and its replicas found', async () => {
    const started = performance.now();
    const bound = await bind({}, ['pg3', 'pg1', 'pg2'], ['primary', 'replicas']);
    // Printed, not asserted (a shared machine): what asking three members costs a run before its first cell.
    console.log(`bindProfile on 3 members, sessions opened: ${Math.round(performance.now() - started)} ms`);
    expect(names(bound, 'primary')).toEqual(['pg1']);
    expect(names(bound, 'replicas')).toEqual(['pg3', 'pg2']);
    expect(bound.bindings.get('primary')?.source).toBe('found');
    expect(bound.findings).toEqual([]);
    expect(bound.nodes.every((n) => n.facts.timeline === 1)).toBe(true);
  });

  it('members only the HA manager names: asked like the others, bound with source ha-manager', async () => {
    // The view as the Patroni driver (another branch) returns it from GET /cluster.
    const view: HaManagerView = {
      manager: 'patroni',
      source: 'http://127.0.0.1:8008',
      readAt: new Date().toISOString(),
      maintenance: false,
      members: cluster.nodes.map((n, i) => ({
        name: `node${i + 1}`,
        host: '127.0.0.1',
        port: n.port,
        role: i === 0 ? 'leader' : 'replica',
        state: i === 0 ? 'running' : 'streaming',
        running: true,
      })),
    };
    const pool = newPool();
    try {
      const base = config({});
      const bound = await bindProfile({
        config: { ...base, discovery: { p: { members: ['pg1'], patroni: [view.source] } } },
        profile: 'p',
        roles: ['primary', 'replicas'],
        environment,
        pool,
        statementTimeoutMs: 10_000,
        readHaView: (source) => Promise.resolve({ ...view, source: source.patroni?.[0] ?? '' }),
      });
      expect(bound.haView?.source).toBe('http://127.0.0.1:8008');
      expect([names(bound, 'primary'), bound.bindings.get('primary')?.source]).toEqual([['pg1'], 'found']);
      expect([names(bound, 'replicas'), bound.bindings.get('replicas')?.source]).toEqual([
        ['node2', 'node3'],
        'ha-manager',
      ]);
    } finally {
      await pool.closeAll();
    }
  });

  it('a profile whose primary is a standby now (after a switchover): the moved role named', async () => {
    const bound = await bind({ primary: 'pg2', replicas: ['pg1', 'pg3'] });
    const moved = bound.findings.filter((f) => f.metrics.roleMismatch === true);
    expect(moved.map((f) => f.connection)).toEqual(['pg2', 'pg1']);
    expect(moved[0]?.summary).toMatch(/^declared primary pg2 is a standby now \(timeline 1\); writable now: pg1$/);
  });

  it('a proxy port and the direct port of the primary are one node, named after the server that answered', async () => {
    const bound = await bind({ primary: 'lb-rw', replicas: ['pg1', 'pg2'] });
    expect(bound.nodes).toHaveLength(2);
    expect(bound.writable.map((n) => n.connections.map((c) => c.name))).toEqual([['pg1', 'lb-rw']]);
    expect(bound.bindings.get('primary')?.connections[0]?.answeredBy).toBe('pg1');
    // pg1 is declared a replica but is the writable server behind lb-rw: the profile is wrong, not the cluster.
    expect(bound.findings.map((f) => f.summary)).toEqual([
      'declared replicas pg1 is writable (the same server as lb-rw); writable now: pg1',
    ]);
  });

  it('topology through the proxy and directly: the leader counted once, no split brain, backend named', async () => {
    // Members found, plus the proxy port as a declared role beside them: HAProxy's read-write port.
    const { findings, diagnosis } = await bindAndProbe(
      { writer: 'lb-rw' },
      ['pg1', 'pg2', 'pg3'],
      [],
      'topology on=all',
    );
    expect(findings.filter((f) => f.metrics.splitBrain === true)).toEqual([]);
    expect(findings.map((f) => f.target)).toContain('lb-rw → pg1');
    expect(diagnosis.consistencyType).toBe('none');
  });

  it('a member that is down: unreachable, a finding of its own that explains its inactive slot', async () => {
    // pg3 streams through a slot named after it, as Patroni names members' slots.
    await cluster.primary.query("SELECT pg_create_physical_replication_slot('pg3')");
    await cluster.replicas[1]!.query("ALTER SYSTEM SET primary_slot_name = 'pg3'");
    await cluster.replicas[1]!.query('SELECT pg_reload_conf()');
    await waitForSlot(true);
    await cluster.replicas[1]!.stop('immediate');
    await waitForSlot(false);
    const members = ['pg1', 'pg2', 'pg3'];
    const probes = 'replication-slots on=primary';
    const { bound, diagnosis } = await bindAndProbe({}, members, ['primary', 'replicas'], probes);
    expect(names(bound, 'replicas')).toEqual(['pg2']);
    const down = bound.findings.filter((f) => f.metrics.unreachable === true);
    expect(down.map((f) => f.connection)).toEqual(['pg3']);
    expect(diagnosis.problems.map((p) => [p.type, p.evidence.map((f) => f.probe)])).toEqual([
      ['availability', ['topology', 'replication-slots']],
    ]);
    expect(diagnosis.rootCause).toMatch(/^member unreachable: pg3 \(127\.0\.0\.1:\d+\) cannot be reached/);
  });

  it('the primary stopped and no replica promoted: no primary, an availability state, never integrity', async () => {
    await cluster.primary.stop('immediate');
    const probes = 'topology on=all';
    const { bound, diagnosis } = await bindAndProbe({}, ['pg1', 'pg2', 'pg3'], ['primary', 'replicas'], probes);
    expect(diagnosis.consistencyType).toBe('availability');
    expect(diagnosis.problems.map((p) => p.type)).not.toContain('strong');
    expect(names(bound, 'primary')).toEqual([]);
    const none = bound.findings.find((f) => f.metrics.noPrimary === true);
    expect(none?.summary).toBe(
      'no primary — failover in progress or the primary is down: pg2 is a standby, pg1, pg3 unreachable',
    );
  });

  it('a replica promoted: found as the primary, on a new timeline', async () => {
    await cluster.replicas[0]!.promote();
    const bound = await bind({}, ['pg1', 'pg2', 'pg3'], ['primary', 'replicas']);
    expect(names(bound, 'primary')).toEqual(['pg2']);
    expect(bound.primary?.facts.timeline).toBe(2);
  });

  it('the old primary back on its own timeline and written to: the fork named, writes past it only there', async () => {
    await cluster.primary.start();
    await cluster.primary.query('CREATE TABLE after_fork (id int); INSERT INTO after_fork VALUES (1)');
    const { bound, diagnosis } = await bindAndProbe({}, ['pg1', 'pg2'], ['primary', 'replicas']);
    const history = bound.nodes.find((n) => n.name === 'pg2')?.facts.timelineHistory;
    expect(history?.map((f) => f.parent)).toEqual([1]);
    const fork = bound.findings.find((f) => f.metrics.timelineFork === true);
    expect(fork?.summary).toBe(
      `timeline fork: pg1 is on timeline 1, pg2 on 2 (forked from timeline 1 at ${history?.[0]?.forkLsn}); ` +
        `pg1's WAL reaches ${String(fork?.metrics.walLsn)}, past the fork: writes after ` +
        `${history?.[0]?.forkLsn} may exist only on pg1`,
    );
    expect(diagnosis.problems.map((p) => p.type)).toContain('strong');
  });
});
