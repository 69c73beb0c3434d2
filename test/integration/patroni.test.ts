/**
 * cnbook against a real Patroni cluster (etcd, three Patroni 3.0.2 nodes on PostgreSQL 15, HAProxy with a
 * read-write and a round-robin read port): the clusters on-call engineers meet, whose roles move while they
 * look. Needs Debian's patroni, etcd-server, haproxy and postgresql-15 (.ci/install-test-packages.sh installs
 * them in CI); skipped elsewhere, saying so. The rig starts once for the file; tests that move roles run last.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindProfile, type BoundProfile } from '../../src/core/cluster/bindProfile';
import type { ConnectionEnvironment, ConnectionsConfig, Profile } from '../../src/core/connections/model';
import { diagnose } from '../../src/core/diagnosis';
import { profileHosts } from '../../src/core/diagnosis/notebook';
import { readHaViewFromPatroni, readPatroniView } from '../../src/drivers/patroniClient';
import { PatroniRig, patroniRigMissing, serverPortBehind, startPatroniRig } from '../helpers/patroniRig';
import { runProbeCell } from '../helpers/probeRun';
import { newPool } from './sqlHarness';
import { buildCli, runCliAsync } from '../helpers/builtCli';
import { SAMPLE_SCHEMA } from '../../src/sandbox/sampleData';

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

  it('the rig itself: HAProxy: the read-write port reaches the leader, the read port each replica', async () => {
    const leader = await rig.leader();
    expect(await serverPortBehind(rig.rwPort)).toBe(leader.pgPort);
    const seen = new Set<number | undefined>();
    for (let i = 0; i < 4; i++) seen.add(await serverPortBehind(rig.roPort));
    const replicaPorts = rig.members.filter((m) => m.name !== leader.name).map((m) => m.pgPort);
    expect([...seen].sort()).toEqual(replicaPorts.sort());
  });

  it('the driver reads the real /cluster (members, roles, timeline, lag), past a dead URL', async () => {
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

  it('cnbook run, a profile naming only lb-rw and Patroni: members found, nothing to say', async () => {
    buildCli();
    // The runbook's own tables (the sandbox's sample data), replayed on the replicas before the run.
    const leader = await rig.leader();
    await rig.query(leader.name, SAMPLE_SCHEMA);
    await rig.query(leader.name, 'SELECT pg_switch_wal()');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-patroni-cli-'));
    try {
      const file = path.join(dir, 'connections.json');
      const writer = { host: '127.0.0.1', port: rig.rwPort, user: 'postgres', database: 'postgres' };
      const discover = { patroni: ['http://127.0.0.1:9/', ...rig.members.map((m) => m.apiUrl)] };
      const profile = { writer: 'lb-rw', discover };
      fs.writeFileSync(file, JSON.stringify({ connections: { 'lb-rw': writer }, profiles: { p: profile } }));
      const out = path.join(dir, 'record.cnbook');
      const args = ['run', 'runbooks/split-brain.cnbook', '--connections', file, '--profile', 'p'];
      const run = await runCliAsync([...args, '--out', out]);
      expect(run.stdout).toMatch(/^diagnosis: none$/m);
      expect(run.stdout).toContain(`topology lb-rw → ${leader.name}: primary`);
      expect(run.code).toBe(0);
      // Provenance: the replicas were known from the HA manager.
      expect(fs.readFileSync(out, 'utf8')).toContain('ha-manager');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
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

  it('a profile with only Patroni and no connection to copy a login from: said, not silently empty', async () => {
    const { bound } = await bindAndProbe({}, { patroni: true }, ['primary', 'replicas']);
    expect(bound.nodes).toEqual([]);
    expect(bound.warnings).toEqual([
      expect.stringMatching(/^profile 'p': discover.patroni lists the HA manager, but .* \(it named pg1, pg2, pg3\)$/),
    ]);
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

  // From here on the cluster is in maintenance mode: Patroni leaves manual changes alone, as on-call
  // engineers meet it when someone paused it to work on a node.
  // One session through lb-ro lands on one replica, half the time the healthy one: discovery samples the
  // round-robin port until it has seen both replicas, and the finding names the backend (`lb-ro → pg3`).
  it('maintenance mode, a replica paused behind the round-robin port: that replica named', async () => {
    await rig.maintenance(true);
    const leader = await rig.leader();
    const paused = ALL.filter((n) => n !== leader.name)[1] as string;
    await rig.query(paused, 'SELECT pg_wal_replay_pause()');
    await rig.query(leader.name, 'CREATE TABLE IF NOT EXISTS rig_writes (id int); INSERT INTO rig_writes VALUES (1)');
    try {
      const probes = 'replication-lag on=replicas';
      const profile = { primary: 'lb-rw', replicas: ['lb-ro'] };
      const { findings, bound } = await bindAndProbe(profile, { members: ALL }, ['primary', 'replicas'], probes);
      const behind = findings.filter((f) => f.probe === 'replication-lag' && f.severity !== 'ok');
      expect(behind.map((f) => f.target)).toContain(`lb-ro → ${paused}`);
      // Both replicas seen through the one port, each bound under the name of the backend that answered.
      const healthy = ALL.filter((n) => n !== leader.name && n !== paused);
      expect(names(bound, 'replicas')?.sort()).toEqual([`lb-ro → ${healthy[0]}`, `lb-ro → ${paused}`].sort());
      expect(bound.warnings).toEqual([]);
    } finally {
      await rig.query(paused, 'SELECT pg_wal_replay_resume()');
    }
  });

  it('maintenance mode and a manual promote: a split brain, strong', async () => {
    await rig.maintenance(true);
    const leader = await rig.leader();
    const promoted = ALL.filter((n) => n !== leader.name)[1] as string;
    await rig.query(promoted, 'SELECT pg_promote()');
    // The profile as it was written before: the leader as primary, the others as replicas.
    const declared = { primary: leader.name, replicas: ALL.filter((n) => n !== leader.name) };
    const { findings, diagnosis } = await bindAndProbe(declared, {}, ['primary', 'replicas'], 'topology on=all');
    const split = findings.filter((f) => f.metrics.splitBrain === true);
    expect(split).toHaveLength(1);
    expect(split[0]?.deviating?.sort() ?? split[0]?.summary).toEqual([leader.name, promoted].sort());
    // The declared replica that is writable comes first (availability); the split brain is named with it.
    expect(diagnosis.problems.map((p) => [p.type, p.causeNode])).toContainEqual(['strong', 'Partition']);
  });

  // The same split brain with the roles left to discovery: two writable members are bound (as `writable`)
  // so that topology on=all sees both, never "no primary".
  it('maintenance mode and a manual promote, members found: a split brain, not "no primary"', async () => {
    const probes = 'topology on=all';
    const { findings, diagnosis } = await bindAndProbe({}, { members: ALL }, ['primary', 'replicas'], probes);
    expect(findings.filter((f) => f.metrics.splitBrain === true)).toHaveLength(1);
    expect(findings.some((f) => f.metrics.noPrimary === true)).toBe(false);
    expect(diagnosis.consistencyType).toBe('strong');
  });

  it('a member machine gone: unreachable, explaining the inactive slot Patroni keeps for it', async () => {
    const leader = await rig.leader();
    const gone = ALL.filter((n) => n !== leader.name)[1] as string;
    rig.killMember(gone);
    await rig.maintenance(false);
    const probes = 'replication-slots on=primary';
    const { bound, diagnosis } = await bindAndProbe({}, { members: ALL }, ['primary', 'replicas'], probes);
    const down = bound.findings.filter((f) => f.metrics.unreachable === true);
    expect(down.map((f) => f.connection)).toEqual([gone]);
    const [first] = diagnosis.problems;
    expect(first?.type).toBe('availability');
    expect(first?.evidence.map((f) => f.probe)).toContain('replication-slots');
    expect(diagnosis.rootCause).toMatch(new RegExp(`^member unreachable: ${gone} `));
  });

  it('during a failover (leader machine killed, none promoted yet): no primary, never integrity', async () => {
    const leader = await rig.leader();
    rig.killMember(leader.name);
    // Patroni waits for the leader key's ttl (20 s) before it promotes: the window an on-call engineer sees.
    const probes = 'topology on=all';
    const { bound, diagnosis } = await bindAndProbe({}, { members: ALL }, ['primary', 'replicas'], probes);
    expect(names(bound, 'primary')).toEqual([]);
    expect(bound.findings.some((f) => f.metrics.noPrimary === true)).toBe(true);
    expect(diagnosis.consistencyType).toBe('availability');
    expect(diagnosis.problems.map((p) => p.type)).not.toContain('strong');
  });
});
