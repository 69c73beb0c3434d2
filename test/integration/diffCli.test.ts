import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, CLI as cli, runCli } from '../helpers/builtCli';
import { startStandalone, type PgServer } from '../helpers/pgCluster';

let a: PgServer;
let b: PgServer;
let dir: string;
let connections: string;

beforeAll(async () => {
  buildCli();
  [a, b] = await Promise.all([startStandalone(), startStandalone()]);
  const table = `CREATE TABLE orders (id bigint PRIMARY KEY, total numeric, note text);
    INSERT INTO orders SELECT g, g / 10.0, CASE WHEN g % 2 = 0 THEN '' END FROM generate_series(1, 20000) g;`;
  await Promise.all([a.query(table), b.query(table)]);
  await a.query('CREATE TABLE same (id int PRIMARY KEY); INSERT INTO same SELECT generate_series(1, 100)');
  await b.query('CREATE TABLE same (id int PRIMARY KEY); INSERT INTO same SELECT generate_series(1, 100)');
  await b.query(`UPDATE orders SET note = NULL WHERE id = 10; DELETE FROM orders WHERE id = 20;
    INSERT INTO orders VALUES (30000, 1, 'x'); UPDATE orders SET total = 1.00 WHERE id = 10000`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-diff-cli-'));
  connections = path.join(dir, 'connections.json');
  const url = (s: PgServer) => `postgres://postgres@127.0.0.1:${s.port}/postgres?sslmode=disable`;
  fs.writeFileSync(
    connections,
    JSON.stringify({ connections: { east: { url: url(a) }, west: { url: url(b) } }, profiles: {} }),
  );
});
afterAll(async () => {
  await Promise.all([a?.destroy(), b?.destroy()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function diff(...args: string[]) {
  return runCli(['diff', '--connections', connections, '--source', 'east', '--target', 'west', ...args]);
}

describe('cnbook diff', () => {
  it('exits 0 for equal tables and says so', () => {
    const run = diff('--table', 'same');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('same: east → west: identical (100 rows)');
  });

  it('exits 2 on drift and names the keys; --json has the counts and the keys', () => {
    const text = diff('--table', 'orders');
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('orders: east → west: 1 missing in the target, 1 missing in the source, 2 changed');
    expect(text.stdout).toContain('changed: 10, 10000');
    const json = diff('--table', 'orders', '--json');
    expect(json.code).toBe(2);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({
      source: 'east',
      target: 'west',
      sourceRows: 20000,
      targetRows: 20000,
      missingInTarget: 1,
      missingInSource: 1,
      changed: 2,
      inFlight: 0,
      replay: 'independent',
      keys: { missingInTarget: [['20']], missingInSource: [['30000']], changed: [['10'], ['10000']] },
    });
    expect(result.bytesReceived).toBeGreaterThan(0);
  });

  it('honours --exclude and --where', () => {
    const run = diff('--table', 'orders', '--exclude', 'note', '--where', 'id < 15000', '--json');
    expect(JSON.parse(run.stdout)).toMatchObject({ missingInTarget: 1, missingInSource: 0, changed: 1 });
  });

  it('exits 3 with a clear message when it cannot run', () => {
    const missing = diff('--table', 'nosuch');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('table nosuch on east: relation "nosuch" does not exist');
    const unknown = diff('--table', 'orders', '--target', 'wset');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("no connection 'wset' (did you mean 'west'?)");
    const usage = runCli(['diff', '--table', 'orders']);
    expect(usage.code).toBe(3);
    expect(usage.stderr).toContain('diff needs --source');
  });

  it('--repair-sql: a dry run for review; applied, the drift is gone; the undo brings it back', async () => {
    const table = `CREATE TABLE tricky (id int PRIMARY KEY, t text, b bytea, j jsonb, n numeric, a int[], at timestamptz)`;
    await Promise.all([a.query(table), b.query(table)]);
    const rows = `INSERT INTO tricky VALUES
      (1, 'it''s a \\ backslash', '\\x00ff', '{"k": "v''"}', 1.0, '{1,NULL}', '2024-01-01 00:00:00.000001+00'),
      (2, E'line\nbreak 😀', NULL, '[]', 2, '{}', NULL), (3, '', '\\x', 'null', 3.10, NULL, 'infinity'),
      (4, 'gone from the target', NULL, NULL, NULL, NULL, NULL)`;
    await Promise.all([a.query(rows), b.query(rows)]);
    await b.query(`UPDATE tricky SET t = NULL, n = 1.00 WHERE id = 1; UPDATE tricky SET t = 'x' WHERE id = 3;
      DELETE FROM tricky WHERE id = 4; INSERT INTO tricky VALUES (5, 'only on the target; DROP TABLE tricky; --', NULL, NULL, NULL, NULL, NULL)`);
    const file = path.join(dir, 'repair.sql');
    const before = diff('--table', 'tricky', '--json', '--repair-sql', file);
    expect(before.code).toBe(2);
    expect(before.stderr).toContain('repair for west (not applied): 1 inserts, 2 updates, 1 deletes in 1 transactions');
    const undo = fs.readFileSync(path.join(dir, 'repair.undo.sql'), 'utf8');
    expect(JSON.parse(diff('--table', 'tricky', '--json').stdout).keys).toEqual(JSON.parse(before.stdout).keys);
    await b.query(fs.readFileSync(file, 'utf8'));
    const after = diff('--table', 'tricky');
    expect(after.code).toBe(0);
    await b.query(undo);
    const undone = diff('--table', 'tricky', '--json');
    expect(undone.code).toBe(2);
    expect(JSON.parse(undone.stdout).keys).toEqual(JSON.parse(before.stdout).keys);
    expect(await b.query('SELECT t FROM tricky WHERE id = 5')).toEqual([
      { t: 'only on the target; DROP TABLE tricky; --' },
    ]);
  });

  it('Ctrl-C cancels the queries on both servers and exits 3', async () => {
    // Each row sleeps, so the first chunk runs for minutes unless it is cancelled.
    const child = spawn(
      process.execPath,
      [
        cli,
        'diff',
        '--connections',
        connections,
        '--source',
        'east',
        '--target',
        'west',
        '--table',
        'orders',
        '--where',
        'pg_sleep(0.01) IS NOT NULL',
        '--query-timeout',
        '10min',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const running = async () => {
      const rows = await Promise.all(
        [a, b].map((s) =>
          s.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'cnbook diff' AND state = 'active' AND query LIKE '%pg_sleep%'`,
          ),
        ),
      );
      return rows.map((r) => r[0].n as number);
    };
    const deadline = Date.now() + 30_000;
    // The first query (the source's chunk boundary) is the one sleeping.
    while ((await running())[0] === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await running())[0]).toBe(1);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(3);
    expect(stderr).toContain('diff cancelled');
    expect(await running()).toEqual([0, 0]);
  });
});
