import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/probes/types';
import { startCluster, PgCluster } from '../helpers/pgCluster';
import { runProbeCell } from '../helpers/probeRun';
import { bindingsOf, connectionTo, newPool } from './sqlHarness';

let cluster: PgCluster;
const pool = newPool();

// Synchronous remote_apply replication: a commit returns only once both replicas show it, so a healthy
// cluster must give no stale read at all (no false alarm).
beforeAll(async () => {
  cluster = await startCluster({
    replicas: 2,
    primaryConfig: { synchronous_standby_names: 'ANY 2 (replica1, replica2)', synchronous_commit: 'remote_apply' },
  });
});
afterAll(async () => {
  await pool.closeAll();
  await cluster?.destroy();
});

async function probe(routing: string, writesPermitted = true) {
  const [r1, r2] = cluster.replicas;
  const bindings = bindingsOf({
    primary: [connectionTo(cluster.primary, 'primary1', { allowWrites: true })],
    replicas: [connectionTo(r1!, 'replica1'), connectionTo(r2!, 'replica2')],
  });
  // tolerance=100ms: an async replica that shows a write a few ms late is not the paused one being measured.
  const source = `session-guarantees routing=${routing} sessions=6 operations=4 wait=300ms tolerance=100ms`;
  const findings = await runProbeCell(source, { bindings, pool, writesPermitted });
  return Object.fromEntries(findings.map((f) => [f.target.split(' ').pop(), f]));
}

describe('session-guarantees', () => {
  // First, while the marker table does not exist yet.
  it('refuses to create its marker table where a publication would copy it to subscribers', async () => {
    const exists = () => cluster.primary.query("SELECT to_regclass('cnbook_session_probe') IS NOT NULL AS t");
    expect(await exists()).toEqual([{ t: false }]);
    await cluster.primary.query('CREATE PUBLICATION cnbook_all_tables FOR ALL TABLES');
    try {
      const f: Finding[] = Object.values(await probe('round-robin'));
      expect(f.map((x) => [x.severity, x.metrics.publishesNewTables])).toEqual([['unknown', true]]);
      expect(f[0]!.summary).toContain('primary1 publishes every new table (cnbook_all_tables)');
      expect(await exists()).toEqual([{ t: false }]);
    } finally {
      await cluster.primary.query('DROP PUBLICATION cnbook_all_tables');
    }
    if (Number((await cluster.primary.query('SHOW server_version_num'))[0]!.server_version_num) < 150000) return;
    await cluster.primary.query('CREATE PUBLICATION cnbook_public FOR TABLES IN SCHEMA public');
    try {
      const [f]: Finding[] = Object.values(await probe('round-robin'));
      expect(f!.summary).toContain('(cnbook_public)');
    } finally {
      await cluster.primary.query('DROP PUBLICATION cnbook_public');
    }
  });

  it('holds every guarantee on a synchronously replicated cluster, whatever the routing', async () => {
    for (const routing of ['sticky', 'round-robin', 'hash', 'weighted weights=3,1']) {
      const f = await probe(routing);
      expect(
        [f['read-your-writes']?.severity, f['monotonic-reads']?.severity, f['writes-follow-reads']?.severity],
        routing,
      ).toEqual(['ok', 'ok', 'ok']);
      expect(f['read-your-writes']?.metrics.reads).toBe(24);
    }
    expect(await cluster.primary.query('SELECT count(*)::int AS n FROM cnbook_session_probe')).toEqual([{ n: 0 }]);
  });

  it('measures stale and backwards reads when one replica stops replaying behind an async primary', async () => {
    await cluster.primary.query("ALTER SYSTEM SET synchronous_standby_names = ''");
    await cluster.primary.query('SELECT pg_reload_conf()');
    await cluster.replicas[1]!.query('SELECT pg_wal_replay_pause()');
    try {
      const rr = await probe('round-robin');
      // Round robin over a live and a paused replica: about half the reads are stale, and a read after a
      // fresh one can go back in time.
      console.log(
        `session-guarantees round-robin over a live and a paused replica: read-your-writes stale rate ${String(rr['read-your-writes']?.metrics.staleRate)}, worst staleness ${String(rr['read-your-writes']?.metrics.worstStalenessMs)} ms; monotonic-reads ${rr['monotonic-reads']?.summary}`,
      );
      expect(rr['read-your-writes']).toMatchObject({ severity: 'critical' });
      expect(Number(rr['read-your-writes']?.metrics.staleRate)).toBeGreaterThanOrEqual(0.4);
      expect(Number(rr['read-your-writes']?.metrics.worstStalenessMs)).toBeGreaterThanOrEqual(300);
      expect(rr['monotonic-reads']?.severity).toBe('critical');
      expect(rr['writes-follow-reads']?.severity).toBe('ok');
      const sticky = await probe('sticky');
      // Sessions pinned to the paused replica never see their writes, but never go back in time either.
      expect(Number(sticky['read-your-writes']?.metrics.staleRate)).toBeCloseTo(0.5, 1);
      expect(sticky['monotonic-reads']?.severity).toBe('ok');
    } finally {
      await cluster.replicas[1]!.query('SELECT pg_wal_replay_resume()');
    }
  });

  it('says unknown, not ok, when it may not write its markers', async () => {
    const f = await probe('sticky', false);
    expect((Object.values(f) as Finding[]).map((x) => x.severity)).toEqual(['unknown']);
  });
});
