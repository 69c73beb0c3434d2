import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startCluster, startStandalone, PgCluster, waitForReplay } from '../helpers/pgCluster';
import { requestedMajor } from '../../src/sandbox/binaries';
import { CellInputError } from '../../src/core/sql/execute';
import { bindingsOf, connectionTo, newPool, runCell } from './sqlHarness';

let cluster: PgCluster;

beforeAll(async () => {
  cluster = await startCluster({ replicas: 2 });
  await cluster.primary.query(`CREATE TABLE orders (id int PRIMARY KEY, total numeric(12,2), note text);
    INSERT INTO orders SELECT g, g * 1.5, CASE WHEN g % 2 = 0 THEN NULL ELSE 'n' || g END FROM generate_series(1, 10) g;`);
  await waitForReplay(cluster);
});
afterAll(async () => cluster?.destroy());

function primaryOnly(extra = {}) {
  return bindingsOf({ primary: [connectionTo(cluster.primary, 'main', extra)] });
}

async function backendAlive(pid: number): Promise<boolean> {
  const rows = await cluster.primary.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
  return rows.length > 0;
}

describe('running SQL on a real primary', () => {
  it('returns rows as PostgreSQL text with provenance', async () => {
    const pool = newPool();
    const run = await runCell(
      '-- @on primary\nSELECT id, total, note FROM orders ORDER BY id LIMIT 3;',
      primaryOnly(),
      pool,
    );
    await pool.closeAll();
    const result = run.payload.results[0]!;
    expect(run.ok).toBe(true);
    expect(result.statements?.[0]?.rows).toEqual([
      ['1', '1.50', 'n1'],
      ['2', '3.00', null],
      ['3', '4.50', 'n3'],
    ]);
    expect(result.statements?.[0]?.columns.map((c) => c.type)).toEqual(['int4', 'numeric', 'text']);
    expect(result.provenance).toMatchObject({
      connection: 'main',
      role: 'primary',
      host: '127.0.0.1',
      inRecovery: false,
      readOnly: true,
      osUser: 'tester',
      rowCount: 3,
    });
    expect(result.provenance.serverVersion).toMatch(new RegExp(`^${requestedMajor()}\\.`));
    expect(result.provenance.walLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(Date.parse(result.provenance.finishedAt)).toBeGreaterThanOrEqual(Date.parse(result.provenance.startedAt));
  });

  it('refuses a write in a cell that does not say @write, and changes nothing', async () => {
    const pool = newPool();
    const run = await runCell('DELETE FROM orders', primaryOnly({ allowWrites: true }), pool);
    await pool.closeAll();
    expect(run.ok).toBe(false);
    expect(run.payload.results[0]?.error).toMatchObject({
      kind: 'refused',
      sqlstate: '25006',
      hint: expect.stringContaining('-- @write'),
    });
    expect(await cluster.primary.query('SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 10 }]);
  });

  it('runs @write only when the connection allows writes and the run permits them', async () => {
    const pool = newPool();
    const cell = "-- @write\nUPDATE orders SET note = 'touched' WHERE id = 1";
    await expect(runCell(cell, primaryOnly(), pool, { writesPermitted: true })).rejects.toThrow(
      /does not allow writes/,
    );
    await expect(runCell(cell, primaryOnly({ allowWrites: true }), pool)).rejects.toThrow(CellInputError);
    const run = await runCell(cell, primaryOnly({ allowWrites: true }), pool, { writesPermitted: true });
    await pool.closeAll();
    expect(run.ok).toBe(true);
    expect(run.payload.results[0]?.statements?.[0]).toMatchObject({ command: 'UPDATE', rowCount: 1 });
    expect(run.payload.results[0]?.provenance.readOnly).toBe(false);
    expect(await cluster.primary.query('SELECT note FROM orders WHERE id = 1')).toEqual([{ note: 'touched' }]);
  });

  it('stops a statement at the timeout, on the server', async () => {
    const pool = newPool();
    const started = Date.now();
    const run = await runCell('-- @timeout 300ms\nSELECT pg_sleep(20)', primaryOnly(), pool);
    await pool.closeAll();
    expect(run.payload.results[0]?.error).toMatchObject({ kind: 'timeout', sqlstate: '57014' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('gives up on a lock after lock_timeout', async () => {
    const holder = newPool();
    const pool = newPool();
    const bindings = primaryOnly({ allowWrites: true });
    // Hold a row lock from a second session for the duration of a long statement.
    const holding = runCell(
      '-- @write\nSELECT id FROM orders WHERE id = 2 FOR UPDATE; SELECT pg_sleep(3)',
      bindings,
      holder,
      { writesPermitted: true },
    );
    await new Promise((r) => setTimeout(r, 500));
    const run = await runCell("-- @write\nUPDATE orders SET note = 'x' WHERE id = 2", bindings, pool, {
      writesPermitted: true,
      lockTimeoutMs: 200,
    });
    await holding;
    await Promise.all([holder.closeAll(), pool.closeAll()]);
    expect(run.payload.results[0]?.error).toMatchObject({ kind: 'timeout', sqlstate: '55P03' });
  });

  it('cancels with a CancelRequest and the backend is gone within a second', async () => {
    const pool = newPool();
    const controller = new AbortController();
    const running = runCell('SELECT pg_sleep(30)', primaryOnly(), pool, { signal: controller.signal });
    let pid: number | undefined;
    for (let i = 0; i < 50 && pid === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const rows = await cluster.primary.query(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'cnbook-test' AND query LIKE '%pg_sleep(30)%'",
      );
      pid = rows[0]?.pid;
    }
    expect(pid).toBeDefined();
    const cancelledAt = Date.now();
    controller.abort();
    const run = await running;
    expect(run.payload.results[0]?.error).toMatchObject({ kind: 'cancelled', sqlstate: '57014' });
    let gone = false;
    while (!gone && Date.now() - cancelledAt < 1000) gone = !(await backendAlive(pid!));
    expect(gone).toBe(true);
    await pool.closeAll();
  });

  it('reports a backend killed mid-query, then reconnects for the next cell', async () => {
    const pool = newPool();
    const running = runCell('SELECT pg_sleep(30)', primaryOnly(), pool);
    await new Promise((r) => setTimeout(r, 700));
    await cluster.primary.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cnbook-test' AND query LIKE '%pg_sleep(30)%'",
    );
    const run = await running;
    expect(run.payload.results[0]?.error?.kind).toBe('connection');
    expect(run.payload.results[0]?.error?.message).toMatch(/terminat/i);
    const next = await runCell('SELECT 1', primaryOnly(), pool);
    expect(next.ok).toBe(true);
    await pool.closeAll();
  });

  it('names the connection of a server that is down', async () => {
    const pool = newPool();
    const down = bindingsOf({ primary: [connectionTo({ port: 1 }, 'ghost')] });
    const run = await runCell('SELECT 1', down, pool);
    expect(run.payload.results[0]?.error).toMatchObject({
      kind: 'connection',
      message: expect.stringMatching(
        /could not connect to ghost \(postgres@127\.0\.0\.1:1\/postgres\): connection refused/,
      ),
    });
  });

  it('maps an error position to the cell line and keeps SQLSTATE, detail and hint', async () => {
    const pool = newPool();
    const run = await runCell('SELECT 1;\nSELECT id,\n  nope FROM orders', primaryOnly(), pool);
    await pool.closeAll();
    expect(run.payload.results[0]?.error).toMatchObject({
      kind: 'server',
      sqlstate: '42703',
      statementIndex: 1,
      line: 3,
      column: 3,
    });
  });

  it('keeps the first N rows of a large result, the true count and a stable hash', async () => {
    const pool = newPool();
    const sql = 'SELECT g, md5(g::text) FROM generate_series(1, 200000) g';
    const a = await runCell(sql, primaryOnly(), pool, { maxRowsStored: 100 });
    const b = await runCell(sql, primaryOnly(), pool, { maxRowsStored: 5 });
    await pool.closeAll();
    const sa = a.payload.results[0]!.statements![0]!;
    const sb = b.payload.results[0]!.statements![0]!;
    expect(sa).toMatchObject({ rowCount: 200000, truncated: true });
    expect(sa.rows).toHaveLength(100);
    expect(sb.rows).toHaveLength(5);
    expect(sa.hash).toBe(sb.hash);
  });

  it('binds :name parameters as values, never as SQL', async () => {
    const pool = newPool();
    const run = await runCell('SELECT :v::text AS v', primaryOnly(), pool, {
      params: { v: "x'; DROP TABLE orders; --" },
    });
    await pool.closeAll();
    expect(run.payload.results[0]?.statements?.[0]?.rows).toEqual([["x'; DROP TABLE orders; --"]]);
  });
});

describe('running a cell on several connections', () => {
  it('writes times the same way on servers set to different time zones, so they compare', async () => {
    const pool = newPool();
    const replica = cluster.replicas[0]!;
    await replica.query("ALTER SYSTEM SET TimeZone = 'Asia/Tokyo'");
    await replica.query("ALTER SYSTEM SET DateStyle = 'SQL, DMY'");
    await replica.query('SELECT pg_reload_conf()');
    try {
      const bindings = bindingsOf({
        primary: [connectionTo(cluster.primary, 'main')],
        replicas: [connectionTo(replica, 'tokyo')],
      });
      const run = await runCell(
        "-- @on all\nSELECT timestamptz '2026-11-25 10:00:00+00' AS at, date '2026-11-25' AS d",
        bindings,
        pool,
      );
      expect(run.payload.comparison).toMatchObject({ agree: true });
      expect(run.payload.results.map((r) => r.statements?.[0]?.rows[0])).toEqual([
        ['2026-11-25 10:00:00+00', '2026-11-25'],
        ['2026-11-25 10:00:00+00', '2026-11-25'],
      ]);
    } finally {
      await replica.query('ALTER SYSTEM RESET TimeZone');
      await replica.query('ALTER SYSTEM RESET DateStyle');
      await replica.query('SELECT pg_reload_conf()');
      await pool.closeAll();
    }
  });

  it('runs concurrently on all and marks the rows that differ', async () => {
    const pool = newPool();
    const [r1, r2] = cluster.replicas as [typeof cluster.primary, typeof cluster.primary];
    const bindings = bindingsOf({
      primary: [connectionTo(cluster.primary, 'main')],
      replicas: [connectionTo(r1, 'replica1'), connectionTo(r2, 'replica2')],
    });
    const cell = '-- @on all\nSELECT id, note FROM orders WHERE id >= 9 ORDER BY id';
    const same = await runCell(cell, bindings, pool);
    expect(same.payload.comparison).toMatchObject({ agree: true });
    expect(same.payload.results.map((r) => r.provenance.inRecovery)).toEqual([false, true, true]);

    await r2.query('SELECT pg_wal_replay_pause()');
    try {
      await cluster.primary.query("UPDATE orders SET note = 'changed' WHERE id = 9");
      await waitForReplay({ primary: cluster.primary, replicas: [r1] });
      const differ = await runCell(cell, bindings, pool);
      expect(differ.payload.comparison?.agree).toBe(false);
      // Two of three agree: only the paused replica is the odd one out, and only its stale row is marked.
      expect(differ.payload.comparison?.odd).toEqual(['replica2']);
      expect(differ.payload.comparison?.differingRows).toEqual({ main: [], replica1: [], replica2: [0] });
      expect(differ.payload.results.find((r) => r.connection === 'replica2')?.statements?.[0]?.rows[0]).toEqual([
        '9',
        'n9',
      ]);
    } finally {
      await r2.query('SELECT pg_wal_replay_resume()');
      await pool.closeAll();
    }
  });
});

describe('servers that fail', () => {
  it('reports a server that dies mid-query, and a wrong password without showing it', async () => {
    const server = await startStandalone();
    try {
      await server.query("CREATE ROLE app LOGIN PASSWORD 'right-password'");
      const hba = path.join(server.dataDir, 'pg_hba.conf');
      fs.writeFileSync(hba, `host all app 127.0.0.1/32 scram-sha-256\n${fs.readFileSync(hba, 'utf8')}`);
      await server.query('SELECT pg_reload_conf()');
      const app = bindingsOf({
        primary: [connectionTo(server, 'guarded', { user: 'app', passwordSource: 'environment' })],
      });
      const wrong = await runCell('SELECT 1', app, newPool('wrong-password'));
      expect(wrong.payload.results[0]?.error).toMatchObject({
        kind: 'connection',
        sqlstate: '28P01',
        hint: expect.stringContaining('PGPASSWORD'),
      });
      expect(JSON.stringify(wrong.payload)).not.toContain('wrong-password');
      const right = await runCell('SELECT current_user', app, newPool('right-password'));
      expect(right.payload.results[0]?.statements?.[0]?.rows).toEqual([['app']]);

      const pool = newPool();
      const local = bindingsOf({ primary: [connectionTo(server, 'dying')] });
      const running = runCell('SELECT pg_sleep(30)', local, pool);
      await new Promise((r) => setTimeout(r, 700));
      await server.stop('immediate');
      const run = await running;
      expect(run.payload.results[0]?.error?.kind).toBe('connection');
      expect(run.payload.results[0]?.error?.message).toMatch(/dying/);
      await pool.closeAll();
    } finally {
      await server.destroy();
    }
  });
});
