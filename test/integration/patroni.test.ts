/**
 * cnbook against a real Patroni cluster (etcd, three Patroni 3.0.2 nodes on PostgreSQL 15, HAProxy with a
 * read-write and a round-robin read port): the clusters on-call engineers meet, whose roles move while they
 * look. Needs Debian's patroni, etcd-server, haproxy and postgresql-15 (.ci/install-test-packages.sh installs
 * them in CI); skipped elsewhere, saying so. The rig starts once for the file; tests that move roles run last.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPatroniView } from '../../src/drivers/patroniClient';
import { PatroniRig, patroniRigMissing, serverPortBehind, startPatroniRig } from '../helpers/patroniRig';

const missing = patroniRigMissing();
if (missing) console.warn(`patroni.test.ts skipped: ${missing}`);

describe.skipIf(missing !== undefined)('a real Patroni cluster', () => {
  let rig: PatroniRig;
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
});
