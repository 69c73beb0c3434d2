import { createServer, type AddressInfo } from 'node:net';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLICATION_LAG_SQL } from '../../src/core/probes/catalog/replicationLag';
import type { Finding } from '../../src/core/probes/types';
import { startCluster, startStandalone, PgCluster, PgServer, waitForReplay } from '../helpers/pgCluster';
import { runProbeCell } from '../helpers/probeRun';
import { bindingsOf, connectionTo, newPool } from './sqlHarness';

let cluster: PgCluster;
let other: PgServer;
const pool = newPool();
const timings: Record<string, number> = {};

beforeAll(async () => {
  [cluster, other] = await Promise.all([startCluster({ replicas: 2 }), startStandalone()]);
  await cluster.primary.query(`CREATE TABLE customers (id int PRIMARY KEY);
    CREATE TABLE orders (id int PRIMARY KEY, customer_id int, total numeric);
    CREATE TABLE order_items (id int PRIMARY KEY, order_id int REFERENCES orders (id), price numeric);
    INSERT INTO customers SELECT generate_series(1, 10);
    INSERT INTO orders SELECT g, g % 10 + 1, 1 FROM generate_series(1, 100) g;
    INSERT INTO order_items SELECT g, g, 1 FROM generate_series(1, 100) g;`);
  await other.query('CREATE TABLE customers (id int PRIMARY KEY); INSERT INTO customers SELECT generate_series(1, 8);');
  await waitForReplay(cluster);
});
afterAll(async () => {
  await pool.closeAll();
  await Promise.all([cluster?.destroy(), other?.destroy()]);
  console.log(`probe run times (ms): ${JSON.stringify(timings)}`);
});

function bindings() {
  const [r1, r2] = cluster.replicas;
  return bindingsOf({
    primary: [connectionTo(cluster.primary, 'primary1', { allowWrites: true })],
    replicas: [connectionTo(r1!, 'replica1'), connectionTo(r2!, 'replica2')],
    customers: [connectionTo(other, 'customers-db')],
  });
}

async function probe(source: string, writesPermitted = false): Promise<Finding[]> {
  const started = Date.now();
  const findings = await runProbeCell(source, { bindings: bindings(), pool, writesPermitted });
  const name = source.split(/\s/)[0] ?? source;
  timings[name] = Math.max(timings[name] ?? 0, Date.now() - started);
  return findings;
}

const byTarget = (findings: Finding[]) => Object.fromEntries(findings.map((f) => [f.target, f]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A local port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('replication-lag', () => {
  it('says caught up on a healthy cluster, even when the primary has been idle', async () => {
    await sleep(1200);
    const f = byTarget(await probe('replication-lag on=replicas warn=500ms'));
    expect(f.replica1).toMatchObject({ severity: 'ok', metrics: { lagSeconds: 0, bytesBehind: 0, lagMethod: 'lsn' } });
    expect(f.replica2).toMatchObject({ severity: 'ok' });
  });

  it('asks a real standby whether it holds all the primary flushed up to a WAL page boundary', async () => {
    // The case itself (a record flushed up to a page end, its tail still in the primary's buffers) cannot be
    // made on demand: this checks the question's SQL on the server, for page boundaries around what it received.
    const replica = cluster.replicas[0]!;
    await waitForReplay(cluster);
    const [lsn] = await replica.query(`SELECT page_start::text AS at, (page_start + page)::text AS next,
        (page_start + 8)::text AS inside
      FROM (SELECT current_setting('wal_block_size')::numeric AS page, pg_last_wal_receive_lsn() AS received) s,
        LATERAL (SELECT received - pg_wal_lsn_diff(received, '0/0') % page AS page_start) b`);
    const held = async (at: string) => (await replica.query(REPLICATION_LAG_SQL.heldAtPageEnd, [at]))[0].held;
    expect([await held(lsn.at), await held(lsn.next), await held(lsn.inside)]).toEqual([true, false, false]);
  });

  it('flags a replica whose replay is paused while the primary writes', async () => {
    await cluster.replicas[1]!.query('SELECT pg_wal_replay_pause()');
    try {
      await cluster.primary.query('INSERT INTO customers VALUES (100)');
      const written = Date.now();
      await sleep(800);
      const f = byTarget(await probe('replication-lag on=replicas warn=500ms critical=60s'));
      const truth = (Date.now() - written) / 1000;
      expect(f.replica1?.severity).toBe('ok');
      expect(f.replica2).toMatchObject({ severity: 'warning', metrics: { replayPaused: true } });
      expect(Number(f.replica2?.metrics.bytesBehind)).toBeGreaterThan(0);
      // The estimate is a lower bound, short by the time WAL took to reach the standby: up to wal_writer_delay
      // (200 ms) here, where the test cluster commits asynchronously. The upper bound is above the truth.
      expect(Number(f.replica2?.metrics.lagSeconds)).toBeGreaterThanOrEqual(0.8 - 0.45);
      expect(Number(f.replica2?.metrics.lagSeconds)).toBeLessThanOrEqual(truth);
      expect(Number(f.replica2?.metrics.lagUpperBoundSeconds)).toBeGreaterThanOrEqual(0.8);
    } finally {
      await cluster.replicas[1]!.query('SELECT pg_wal_replay_resume()');
    }
  });

  it('warns for a paused replica with nothing pending yet: the next write will not reach it', async () => {
    await waitForReplay(cluster);
    await cluster.replicas[1]!.query('SELECT pg_wal_replay_pause()');
    try {
      const f = byTarget(await probe('replication-lag on=replicas warn=5s critical=60s'));
      expect(f.replica1?.severity).toBe('ok');
      expect(f.replica2).toMatchObject({ severity: 'warning', metrics: { replayPaused: true, bytesBehind: 0 } });
      expect(f.replica2?.summary).toMatch(/replay is PAUSED: the next write will not reach it/);
    } finally {
      await cluster.replicas[1]!.query('SELECT pg_wal_replay_resume()');
    }
  });

  it('does not count the time the primary sat idle before the write a paused replica misses', async () => {
    await sleep(3000); // the primary is idle: the replica's last replayed commit grows old
    await cluster.replicas[1]!.query('SELECT pg_wal_replay_pause()');
    try {
      await cluster.primary.query('INSERT INTO customers VALUES (101)');
      const written = Date.now();
      await sleep(500);
      const started = Date.now();
      const f = byTarget(await probe('replication-lag on=replicas warn=200ms critical=2500ms'));
      const [low, high] = [(started - written) / 1000, (Date.now() - written) / 1000];
      const lag = Number(f.replica2?.metrics.lagSeconds);
      const upper = Number(f.replica2?.metrics.lagUpperBoundSeconds);
      console.log(
        `replication-lag without marker after 3 s idle: true lag ${low.toFixed(3)}–${high.toFixed(3)} s, estimated ${lag.toFixed(3)} s, upper bound ${upper.toFixed(3)} s`,
      );
      expect(f.replica2).toMatchObject({
        severity: 'warning',
        metrics: { replayPaused: true, lagMethod: 'wal-sender', senderState: 'streaming' },
      });
      expect(lag).toBeGreaterThanOrEqual(low - 0.45);
      expect(lag).toBeLessThanOrEqual(high);
      expect(upper).toBeGreaterThanOrEqual(3.5);
    } finally {
      await cluster.replicas[1]!.query('SELECT pg_wal_replay_resume()');
    }
  });

  it('measures an injected 2 s apply delay with a marker, and cleans the marker up', async () => {
    const replica = cluster.replicas[0]!;
    await replica.query("ALTER SYSTEM SET recovery_min_apply_delay = '2s'");
    await replica.query('SELECT pg_reload_conf()');
    try {
      await sleep(300);
      const f = byTarget(await probe('replication-lag on=replicas marker=yes warn=1s critical=10s timeout=15s', true));
      const measured = Number(f.replica1?.metrics.lagSeconds);
      console.log(
        `replication-lag marker: injected 2.000 s, measured ${measured.toFixed(3)} s (error ${(measured - 2).toFixed(3)} s)`,
      );
      expect(f.replica1).toMatchObject({ severity: 'warning', metrics: { lagMethod: 'marker' } });
      expect(Math.abs(measured - 2)).toBeLessThan(0.5);
      expect(Number(f.replica2?.metrics.lagSeconds)).toBeLessThan(0.5);
      expect(await cluster.primary.query('SELECT count(*)::int AS n FROM cnbook_lag_marker')).toEqual([{ n: 0 }]);
    } finally {
      await replica.query('ALTER SYSTEM RESET recovery_min_apply_delay');
      await replica.query('SELECT pg_reload_conf()');
    }
  });

  it('says unknown, not critical, for caught-up replicas when the primary cannot be reached', async () => {
    const [r1, r2] = cluster.replicas;
    const findings = await runProbeCell('replication-lag on=replicas warn=1ms critical=2ms', {
      bindings: bindingsOf({
        primary: [connectionTo({ port: await closedPort() }, 'gone-primary')],
        replicas: [connectionTo(r1!, 'replica1'), connectionTo(r2!, 'replica2')],
      }),
      pool,
    });
    // Both replicas are healthy and their last replayed commit is older than 2 ms: graded by it, they were critical.
    expect(findings.map((f) => [f.target, f.severity])).toEqual([
      ['replica1', 'unknown'],
      ['replica2', 'unknown'],
    ]);
    for (const f of findings) expect(f.summary).toMatch(/the primary gone-primary could not be read/);
  });

  it('refuses to write a marker when writes are not permitted, and says unknown rather than ok', async () => {
    const findings = await probe('replication-lag on=replicas marker=yes');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'unknown', summary: expect.stringMatching(/not permitted/) });
  });
});

describe('prepared-transactions', () => {
  it('is ok without, and flags a transaction left prepared', async () => {
    expect((await probe('prepared-transactions'))[0]?.severity).toBe('ok');
    const client = new Client({ connectionString: cluster.primary.url });
    await client.connect();
    await client.query("BEGIN; INSERT INTO customers VALUES (200); PREPARE TRANSACTION 'stuck-2pc'");
    await client.end();
    try {
      await sleep(1100);
      const [f] = await probe('prepared-transactions older-than=1s critical=1h');
      expect(f).toMatchObject({ target: 'primary1', severity: 'warning', metrics: { stuck: 1 } });
      expect(JSON.stringify(f?.evidence)).toContain('stuck-2pc');
    } finally {
      await cluster.primary.query("ROLLBACK PREPARED 'stuck-2pc'");
    }
  });
});

describe('locks', () => {
  it('is ok when nothing waits, and shows a blocking chain', async () => {
    expect(byTarget(await probe('locks')).primary1?.severity).toBe('ok');
    const holder = new Client({ connectionString: cluster.primary.url });
    const waiter = new Client({ connectionString: cluster.primary.url });
    await Promise.all([holder.connect(), waiter.connect()]);
    await holder.query('BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    const waiting = waiter.query('SELECT count(*) FROM orders').catch(() => undefined);
    try {
      await sleep(600);
      const f = byTarget(await probe('locks blocked-warn=200ms long-transaction=100ms'));
      expect(f.primary1).toMatchObject({ severity: 'warning', metrics: { blockedSessions: 1 } });
      expect(f['primary1/transactions']?.severity).toBe('warning');
    } finally {
      await holder.query('ROLLBACK');
      await waiting;
      await Promise.all([holder.end(), waiter.end()]);
    }
  });
});

describe('cancel and timeouts', () => {
  it('stops a probe when cancelled, removes its marker and leaves no query running', async () => {
    const replica = cluster.replicas[1]!;
    await replica.query('SELECT pg_wal_replay_pause()');
    try {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 500);
      // The marker cannot reach the paused replica: without the cancel the probe would wait its 30 s.
      await runProbeCell('replication-lag on=replicas marker=yes timeout=30s', {
        bindings: bindings(),
        pool,
        writesPermitted: true,
        signal: controller.signal,
      });
      console.log(`replication-lag marker cancelled at 500 ms: returned after ${Date.now() - started} ms`);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await cluster.primary.query('SELECT count(*)::int AS n FROM cnbook_lag_marker')).toEqual([{ n: 0 }]);
      for (const server of [cluster.primary, ...cluster.replicas]) {
        expect(
          await server.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'cnbook-test' AND state = 'active'",
          ),
        ).toEqual([{ n: 0 }]);
      }
    } finally {
      await replica.query('SELECT pg_wal_replay_resume()');
    }
  });

  it('gives up at the lock timeout and says unknown with the reason, never ok', async () => {
    const holder = new Client({ connectionString: cluster.primary.url });
    await holder.connect();
    await holder.query('BEGIN; LOCK TABLE customers IN ACCESS EXCLUSIVE MODE');
    try {
      const f = byTarget(await probe('row-counts tables=customers on=primary'));
      expect(Object.values(f)).toHaveLength(1);
      expect(Object.values(f)[0]).toMatchObject({
        severity: 'unknown',
        summary: expect.stringMatching(/lock timeout/),
      });
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });
});

describe('foreign-keys and orphans', () => {
  it('passes valid keys and relationships', async () => {
    expect((await probe('foreign-keys')).every((f) => f.severity === 'ok')).toBe(true);
    expect((await probe('orphans child=orders.customer_id parent=customers.id'))[0]?.severity).toBe('ok');
  });

  it('finds rows under a NOT VALID key and rows slipped past disabled triggers', async () => {
    await cluster.primary.query(`SET session_replication_role = replica; INSERT INTO order_items VALUES (1001, 5001, 1);
      CREATE TABLE refunds (id int PRIMARY KEY, order_id int); INSERT INTO refunds VALUES (1, 1), (2, 7777);
      ALTER TABLE refunds ADD CONSTRAINT refunds_order_fk FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;`);
    try {
      const f = byTarget(await probe('foreign-keys'));
      expect(f['primary1/order_items_order_id_fkey']).toMatchObject({
        severity: 'critical',
        metrics: { violations: 1, validated: true },
        evidence: [{ order_id: '5001' }],
      });
      expect(f['primary1/refunds_order_fk']).toMatchObject({
        severity: 'critical',
        metrics: { violations: 1, validated: false },
        evidence: [{ order_id: '7777' }],
      });
    } finally {
      await cluster.primary.query('DROP TABLE refunds; DELETE FROM order_items WHERE id = 1001');
    }
  });

  it('finds orphans of an undeclared relationship, within one database and across two', async () => {
    await cluster.primary.query('INSERT INTO orders VALUES (500, 99, 1)');
    try {
      const [same] = await probe('orphans child=orders.customer_id parent=customers.id');
      expect(same).toMatchObject({ severity: 'critical', metrics: { orphans: 1 }, evidence: ['99'] });
      const [across] = await probe(
        'orphans child=orders.customer_id parent=customers.id on=primary parent-on=customers',
      );
      // The other service knows customers 1..8: 9, 10 and 99 are missing there.
      expect(across).toMatchObject({ severity: 'critical', metrics: { orphans: 3 } });
      expect((across?.evidence as string[]).sort()).toEqual(['10', '9', '99']);
    } finally {
      await cluster.primary.query('DELETE FROM orders WHERE id = 500');
    }
  });
});

describe('row-counts and replication-slots', () => {
  it('agrees on a caught-up cluster and shows a stale replica', async () => {
    await waitForReplay(cluster);
    expect((await probe('row-counts tables=orders,customers on=primary,replicas')).map((f) => f.severity)).toEqual([
      'ok',
      'ok',
    ]);
    await cluster.replicas[0]!.query('SELECT pg_wal_replay_pause()');
    try {
      await cluster.primary.query('INSERT INTO orders VALUES (600, 1, 1)');
      await sleep(300);
      const [orders] = await probe('row-counts tables=orders on=primary,replicas');
      expect(orders).toMatchObject({ severity: 'warning', metrics: { spread: 1, primary1: 101, replica1: 100 } });
    } finally {
      await cluster.replicas[0]!.query('SELECT pg_wal_replay_resume()');
      await cluster.primary.query('DELETE FROM orders WHERE id = 600');
    }
  });

  it('says unknown, with the reason, for what it cannot measure', async () => {
    const [f] = await probe('row-counts tables=no_such_table on=primary');
    expect(f).toMatchObject({ severity: 'unknown', summary: expect.stringMatching(/does not exist/) });
  });

  it('flags an inactive slot that retains WAL', async () => {
    expect((await probe('replication-slots'))[0]).toMatchObject({ severity: 'ok', summary: 'no replication slots' });
    await cluster.primary.query("SELECT pg_create_physical_replication_slot('forgotten', true)");
    try {
      const [f] = await probe('replication-slots');
      expect(f).toMatchObject({ target: 'primary1/forgotten', severity: 'warning', metrics: { active: false } });
    } finally {
      await cluster.primary.query("SELECT pg_drop_replication_slot('forgotten')");
    }
  });
});

describe('topology', () => {
  it('describes a healthy cluster, then calls a promoted replica split brain', async () => {
    const healthy = await probe('topology on=all');
    expect(healthy.filter((f) => f.severity !== 'ok')).toEqual([]);
    expect(healthy.find((f) => f.target === 'replica1')?.summary).toMatch(/standby of 127\.0\.0\.1:\d+/);
    await cluster.replicas[1]!.promote();
    const promoted = await probe('topology on=all');
    const split = promoted.find((f) => f.summary.startsWith('split brain'));
    expect(split).toMatchObject({ severity: 'critical', target: 'primary1,replica2', metrics: { writableNodes: 2 } });
  });
});

describe('clock-skew', () => {
  it('finds a server whose clock runs 3 s ahead, within its error bound, and none on a healthy pair', async () => {
    const healthy = byTarget(await probe('clock-skew on=primary,replicas'));
    expect(Object.values(healthy).every((f) => f.severity === 'ok')).toBe(true);
    const ahead = await startStandalone({ fakeTimeOffset: '+3s' });
    const local = newPool();
    try {
      const skewed = bindingsOf({
        primary: [connectionTo(cluster.primary, 'primary1')],
        ahead: [connectionTo(ahead, 'ahead')],
      });
      const findings = await runProbeCell('clock-skew on=primary,ahead', { bindings: skewed, pool: local });
      const f = byTarget(findings);
      const offset = Number(f.ahead?.metrics.offsetMs);
      const bound = Number(f.ahead?.metrics.errorBoundMs);
      console.log(
        `clock-skew: injected +3000 ms, measured ${offset} ms ± ${bound} ms (error ${(offset - 3000).toFixed(1)} ms)`,
      );
      expect(f.ahead?.severity).toBe('critical');
      // libfaketime's own offset is off by up to ~30 ms on a loaded machine (0.1 to 31.5 ms measured, before
      // and after the driver's round trips changed), so allow 50 ms beyond the round-trip bound.
      expect(Math.abs(offset - 3000)).toBeLessThanOrEqual(bound + 50);
      expect(Math.abs(Number(f.primary1?.metrics.offsetMs))).toBeLessThanOrEqual(
        Number(f.primary1?.metrics.errorBoundMs) + 25,
      );
      expect(f['ahead vs primary1']).toMatchObject({ severity: 'critical' });
    } finally {
      await local.closeAll();
      await ahead.destroy();
    }
  });
});

describe('causal-order', () => {
  it('finds events before their parents (beyond and within the skew tolerance) and missing parents', async () => {
    await cluster.primary.query(`CREATE TABLE events (id int PRIMARY KEY, parent_id int, at timestamptz NOT NULL);
      INSERT INTO events VALUES (1, NULL, '2026-01-01 10:00:00+00'), (2, 1, '2026-01-01 10:00:01+00'), (3, 2, '2026-01-01 10:00:02+00');`);
    const cell = 'causal-order table=events key=id parent=parent_id time=at';
    expect((await probe(cell)).map((f) => f.severity)).toEqual(['ok', 'ok']);
    await cluster.primary.query(
      `INSERT INTO events VALUES (4, 3, '2026-01-01 10:00:01.5+00'), (5, 42, '2026-01-01 10:00:03+00')`,
    );
    const [missing, order] = await probe(cell);
    expect(missing).toMatchObject({
      severity: 'critical',
      metrics: { missingParents: 1 },
      evidence: [{ event: '5', parent: '42' }],
    });
    expect(order).toMatchObject({
      severity: 'critical',
      metrics: { beforeParent: 1, beyondTolerance: 1, worstMs: 500 },
    });
    const [, withinSkew] = await probe(`${cell} tolerance=1s`);
    expect(withinSkew).toMatchObject({ severity: 'warning', metrics: { beforeParent: 1, beyondTolerance: 0 } });
  });
});

describe('table-drift', () => {
  it('names the keys missing on either side and the rows changed between two servers, across chunks', async () => {
    const load = `CREATE TABLE accounts (id bigint PRIMARY KEY, owner text, balance numeric(12,2));
      INSERT INTO accounts SELECT g, 'owner ' || g, g * 1.25 FROM generate_series(1, 12000) g;
      CREATE TABLE tags (name text PRIMARY KEY, n int); INSERT INTO tags VALUES ('a', 1), ('B', 2), ('é', 3), ('z', 4), ('\uFF5E', 5), ('😀', 6), ('😀x', 7), ('a"b\\c', 8);`;
    await Promise.all([cluster.primary.query(load), other.query(load)]);
    const cell = 'table-drift table=accounts key=id source=primary target=customers';
    const [equal] = await probe(cell);
    expect(equal).toMatchObject({ severity: 'ok', metrics: { sourceRows: 12000, targetRows: 12000, changed: 0 } });
    await other.query(`DELETE FROM accounts WHERE id IN (1, 5000, 5001, 12000); UPDATE accounts SET balance = 0 WHERE id IN (7, 10001);
      INSERT INTO accounts VALUES (20000, 'intruder', 1); UPDATE tags SET n = 30 WHERE name IN ('é', 'a"b\\c'); DELETE FROM tags WHERE name = 'B';`);
    // The first chunk ends at 5000: the differences fall on both sides of a chunk boundary.
    const [f] = await probe(`${cell} chunk=5000 limit=3`);
    expect(f).toMatchObject({
      severity: 'critical',
      metrics: { sourceRows: 12000, targetRows: 11997, missingInTarget: 4, missingInSource: 1, changed: 2 },
    });
    expect(f?.evidence).toMatchObject({
      key: ['id'],
      missingInTarget: ['1', '5000', '5001'],
      missingInSource: ['20000'],
      changed: ['7', '10001'],
      inFlight: [],
      changedRows: [
        {
          key: '7',
          columns: [
            { name: 'balance', source: '8.75', target: '0.00', differs: true },
            { name: 'owner', source: 'owner 7', target: 'owner 7', differs: false },
          ],
        },
        { key: '10001', columns: [{ name: 'balance', source: '12501.25', target: '0.00', differs: true }, {}] },
      ],
    });
    expect(f?.metrics.recheck).toBe('independent');
    expect(f?.metrics.method).toMatch(/iblt/);
    console.log(
      `table-drift on 12000 rows, 7 differences: ${JSON.stringify(f?.metrics)}; equal: ${JSON.stringify(equal?.metrics)}`,
    );
    // A composite key (default: the primary key), a subset of columns, excluded columns and a condition.
    const lines = `CREATE TABLE lines (order_id int, line int, qty int, note text, PRIMARY KEY (order_id, line));
      INSERT INTO lines SELECT g / 10, g % 10, g, 'n' FROM generate_series(1, 3000) g`;
    await Promise.all([cluster.primary.query(lines), other.query(lines)]);
    await other.query(
      `DELETE FROM lines WHERE order_id = 7 AND line = 3; UPDATE lines SET note = 'x' WHERE order_id = 200`,
    );
    const linesCell = 'table-drift table=lines source=primary target=customers';
    expect((await probe(linesCell))[0]).toMatchObject({ metrics: { missingInTarget: 1, changed: 10 } });
    expect((await probe(`${linesCell} exclude=note`))[0]).toMatchObject({
      metrics: { missingInTarget: 1, changed: 0 },
    });
    const [subset] = await probe(`${linesCell} key=order_id,line columns=note where="order_id >= 100" limit=3`);
    expect(subset).toMatchObject({ metrics: { sourceRows: 2001, missingInTarget: 0, changed: 10 } });
    expect(subset?.evidence).toMatchObject({
      key: ['order_id', 'line'],
      changed: [
        ['200', '0'],
        ['200', '1'],
        ['200', '2'],
      ],
      changedRows: expect.arrayContaining([
        { key: ['200', '0'], columns: [{ name: 'note', source: 'n', target: 'x', differs: true }] },
      ]),
    });
    // Text keys in the server's byte order: U+FF5E sorts before an emoji there, not in UTF-16.
    const [tags] = await probe('table-drift table=tags source=primary target=customers sample=10');
    expect(tags?.evidence).toMatchObject({
      missingInTarget: ['B'],
      missingInSource: [],
      changed: ['a"b\\c', 'é'],
      inFlight: [],
    });
    expect(tags?.metrics).toMatchObject({ sourceRows: 8, targetRows: 7 });
  });

  it('tells rows in flight to a replica from drift: they converge once it has replayed', async () => {
    // replica2 was promoted by the topology test: replica1 is still a standby.
    const replica = cluster.replicas[0]!;
    await cluster.primary.query(
      'CREATE TABLE ledger (id int PRIMARY KEY, amount int); INSERT INTO ledger SELECT g, g FROM generate_series(1, 200) g',
    );
    await waitForReplay(cluster);
    await replica.query('SELECT pg_wal_replay_pause()');
    try {
      await cluster.primary.query(
        'UPDATE ledger SET amount = 0 WHERE id IN (3, 4); DELETE FROM ledger WHERE id = 150; INSERT INTO ledger VALUES (500, 5)',
      );
      // The replica does not replay in time: the differences stand, and the finding says why they may.
      const [stuck] = await probe('table-drift table=ledger key=id source=primary target=replica1 settle=300ms');
      expect(stuck).toMatchObject({
        severity: 'critical',
        metrics: { missingInTarget: 1, missingInSource: 1, changed: 2, inFlight: 0, recheck: 'behind' },
      });
      expect(stuck?.summary).toMatch(/had not replayed/);
      // Replay resumes while the probe waits: every difference converges.
      const resume = sleep(1500).then(() => replica.query('SELECT pg_wal_replay_resume()'));
      const [settled] = await probe('table-drift table=ledger key=id source=primary target=replica1 settle=20s');
      await resume;
      expect(settled).toMatchObject({
        severity: 'ok',
        metrics: { missingInTarget: 0, missingInSource: 0, changed: 0, inFlight: 4, recheck: 'caught-up' },
      });
      // In flight in key order, whatever their kind was.
      expect(settled?.evidence).toMatchObject({ inFlight: ['3', '4', '150', '500'] });
    } finally {
      await replica.query('SELECT pg_wal_replay_resume()');
    }
  });
});

describe('probe cells', () => {
  it('puts a role the profile lacks at its line and column, before anything runs', async () => {
    await expect(probe('topology on=all\nreplication-lag on=replica')).rejects.toThrow(
      /^line 2, column 20: on: 'replica' is neither a role.*did you mean 'replicas'/,
    );
  });

  it('refuses a marker on a connection that does not allow writes, even when the run permits writes', async () => {
    const readOnlyPrimary = bindingsOf({
      primary: [connectionTo(cluster.primary, 'primary1')],
      replicas: [connectionTo(cluster.replicas[0]!, 'replica1')],
    });
    const findings = await runProbeCell('replication-lag marker=yes', {
      bindings: readOnlyPrimary,
      pool,
      writesPermitted: true,
    });
    expect(findings[0]).toMatchObject({ severity: 'unknown', summary: expect.stringMatching(/does not allow writes/) });
  });
});
