/**
 * cnbook against a real Patroni cluster (etcd, three Patroni 3.0.2 nodes on PostgreSQL 15, HAProxy with a
 * read-write and a round-robin read port): the clusters on-call engineers meet, whose roles move while they
 * look. Needs Debian's patroni, etcd-server, haproxy and postgresql-15 (.ci/install-test-packages.sh installs
 * them in CI); skipped elsewhere, saying so. The rig starts once for the file; tests that move roles run last.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
