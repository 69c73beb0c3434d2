/**
 * cnbook against a real Patroni cluster (etcd, three Patroni 3.0.2 nodes on PostgreSQL 15, HAProxy with a
 * read-write and a round-robin read port): the clusters on-call engineers meet, whose roles move while they
 * look. Needs Debian's patroni, etcd-server, haproxy and postgresql-15 (.ci/install-test-packages.sh installs
 * them in CI); skipped elsewhere, saying so. The rig starts once for the file; tests that move roles run last.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindProfile, type BoundProfile } from '../../src/core/cluster/bindProfile';
import type { ConnectionEnvironment, ConnectionsConfig, Profile } from '../../src/core/connections/model';
import { diagnose } from '../../src/core/diagnosis';
import { profileHosts } from '../../src/core/diagnosis/notebook';
import { readHaViewFromPatroni, readPatroniView } from '../../src/drivers/patroniClient';
import { PatroniRig, patroniRigMissing, serverPortBehind, startPatroniRig } from '../helpers/patroniRig';
import { runProbeCell } from '../helpers/probeRun';
import { newPool } from './sqlHarness';

const missing = patroniRigMissing();
if (missing) console.warn(`patroni.test.ts skipped: ${missing}`);

const environment: ConnectionEnvironment = {
  env: {},
  homeDir: '/nonexistent',
  osUser: 'postgres',
  readTextFile: () => undefined,
};

let rig: PatroniRig;

/** pg1..pg3 directly, lb-rw and lb-ro through HAProxy; discovery from the members or from Patroni's API. */
function config(profile: Profile, discover: { members?: string[]; patroni?: boolean } = {}): ConnectionsConfig {
  const spec = (port: number) => ({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  const connections = Object.fromEntries(rig.members.map((m) => [m.name, spec(m.pgPort)]));
  connections['lb-rw'] = spec(rig.rwPort);
  connections['lb-ro'] = spec(rig.roPort);
  const patroni = discover.patroni ? { patroni: rig.members.map((m) => m.apiUrl) } : {};
  const members = discover.members ? { members: discover.members } : {};
  const discovery = discover.patroni || discover.members ? { discovery: { p: { ...members, ...patroni } } } : {};
  return { connections, profiles: { p: profile }, ...discovery };
}

/** Binds as `cnbook run` does (Patroni's view read by the real driver), runs probes, diagnoses it all. */
async function bindAndProbe(
  profile: Profile,
  discover: { members?: string[]; patroni?: boolean },
  roles: string[],
  probes?: string,
) {
  const pool = newPool();
  try {
    const bound = await bindProfile({
      config: config(profile, discover),
      profile: 'p',
      roles,
      environment,
      pool,
      statementTimeoutMs: 10_000,
      readHaView: readHaViewFromPatroni({ timeoutMs: 2000 }),
    });
    const probed = probes ? await runProbeCell(probes, { bindings: bound.bindings, pool }) : [];
    const findings = [...bound.findings, ...probed];
    const diagnosis = diagnose({ findings, hosts: profileHosts(bound.bindings), now: new Date().toISOString() });
    return { bound, findings, diagnosis };
  } finally {
    await pool.closeAll();
  }
}

const names = (bound: BoundProfile, role: string) => bound.bindings.get(role)?.connections.map((c) => c.name);
const ALL = ['pg1', 'pg2', 'pg3'];

describe.skipIf(missing !== undefined)('a real Patroni cluster', () => {
  beforeAll(async () => {
    rig = await startPatroniRig();
  }, 180_000);
  afterAll(async () => rig?.destroy());

  it('the rig itself: HAProxy sends the read-write port to the leader and the read port round the replicas', async () => {
    const leader = await rig.leader();
    expect(await serverPortBehind(rig.rwPort)).toBe(leader.pgPort);
    const seen = new Set<number | undefined>();
    for (let i = 0; i < 4; i++) seen.add(await serverPortBehind(rig.roPort));
    const replicaPorts = rig.members.filter((m) => m.name !== leader.name).map((m) => m.pgPort);
    expect([...seen].sort()).toEqual(replicaPorts.sort());
  });

  it('the driver reads the real /cluster: members, roles, state, timeline, lag; a dead URL first is skipped', async () => {
    const leader = await rig.leader();
    const dead = 'http://127.0.0.1:9/';
    const view = await readPatroniView([dead, ...rig.members.map((m) => m.apiUrl)], { timeoutMs: 2000 });
    expect(view.source).toBe(`${rig.members[0]?.apiUrl}/cluster`);
    expect(view.maintenance).toBe(false);
    const byName = Object.fromEntries(view.members.map((m) => [m.name, m]));
    expect(Object.keys(byName).sort()).toEqual(['pg1', 'pg2', 'pg3']);
    for (const m of rig.members) {
      expect(byName[m.name]).toMatchObject({ host: '127.0.0.1', port: m.pgPort, running: true, timeline: 1 });
      expect(byName[m.name]?.role).toBe(m.name === leader.name ? 'leader' : 'replica');
    }
    expect(view.members.filter((m) => m.role === 'replica').map((m) => typeof m.lagBytes)).toEqual([
      'number',
      'number',
    ]);
  });

  it('healthy, through the proxy and directly: nothing to say, the leader counted once', async () => {
    const leader = await rig.leader();
    const probes = 'topology on=all\nreplication-lag on=replicas';
    const { findings, diagnosis } = await bindAndProbe({ writer: 'lb-rw' }, { members: ALL }, ['replicas'], probes);
    expect(findings.filter((f) => f.metrics.splitBrain === true)).toEqual([]);
    expect(findings.map((f) => f.target)).toContain(`lb-rw → ${leader.name}`);
    expect(findings.filter((f) => f.severity === 'warning' || f.severity === 'critical')).toEqual([]);
    expect(diagnosis.consistencyType).toBe('none');
  });

  it("healthy, members found from Patroni's /cluster: the leader is the primary, the others its replicas", async () => {
    const leader = await rig.leader();
    const { bound, diagnosis } = await bindAndProbe(
      { writer: 'lb-rw' },
      { patroni: true },
      ['primary', 'replicas'],
      'topology on=all',
    );
    expect(names(bound, 'primary')).toEqual([leader.name]);
    expect(names(bound, 'replicas')?.sort()).toEqual(ALL.filter((n) => n !== leader.name));
    expect(bound.findings).toEqual([]);
    expect(diagnosis.consistencyType).toBe('none');
  });

  it('after a switchover, a profile that declares the old roles: the moved role named', async () => {
    const old = await rig.leader();
    const candidate = ALL.find((n) => n !== old.name) as string;
    await rig.patronictl('switchover', '--leader', old.name, '--candidate', candidate, '--force');
    await rig.waitFor(`${candidate} to lead`, (c) =>
      c.members.some((m) => m.name === candidate && m.role === 'leader' && m.state === 'running'),
    );
    await rig.waitFor(`${old.name} to stream again`, (c) =>
      c.members.some((m) => m.name === old.name && m.role === 'replica' && m.state === 'running'),
    );
    const declared = { primary: old.name, replicas: ALL.filter((n) => n !== old.name) };
    const { bound, diagnosis } = await bindAndProbe(declared, {}, ['primary', 'replicas'], 'topology on=all');
    const moved = bound.findings.filter((f) => f.metrics.roleMismatch === true);
    expect(moved.map((f) => f.connection)).toContain(old.name);
    expect(moved[0]?.summary).toMatch(
      new RegExp(`^declared primary ${old.name} is a standby now .*writable now: ${candidate}$`),
    );
    expect(diagnosis.problems[0]?.evidence).toContainEqual(moved[0]);
    await rig.waitForProxy();
  });
});
