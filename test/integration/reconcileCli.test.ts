import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCli, writePairConnections } from '../helpers/builtCli';
import { startStandalone, type PgServer } from '../helpers/pgCluster';

let source: PgServer;
let copy: PgServer;
let dir: string;

const LOAD = `CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g`;
const CONTENT = `SELECT string_agg(t::text, '|' ORDER BY id) AS rows FROM items t`;

beforeAll(async () => {
  buildCli();
  [source, copy] = await Promise.all([startStandalone(), startStandalone()]);
  await Promise.all([source.query(LOAD), copy.query(LOAD)]);
  await copy.query(
    `DELETE FROM items WHERE id = 5; UPDATE items SET name = 'x' WHERE id = 6; INSERT INTO items VALUES (500, 'stray')`,
  );
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-reconcile-'));
  writePairConnections(dir, source.port, copy.port);
  fs.writeFileSync(
    path.join(dir, 'repair.cnbook'),
    '---\ncnbook: 1\ntitle: Repair\nroles: [primary, copy]\n---\n# Repair\n\n```cnprobe\nreconcile table=items from=primary to=copy apply=yes\n```\n',
  );
});
afterAll(async () => {
  await Promise.all([source?.destroy(), copy?.destroy()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function run(...more: string[]) {
  return runCli(['run', 'repair.cnbook', '--connections', 'connections.json', '--profile', 'pair', ...more], {
    cwd: dir,
    env: { PGPASSWORD: '' },
  });
}

describe('cnbook run with a reconcile cell', () => {
  it('refuses to apply without --allow-writes; with it, says the host and counts, repairs, and compares again', async () => {
    const drifted = (await copy.query(CONTENT))[0].rows;
    const refused = run();
    expect(refused.stdout).toMatch(/reconcile east → west: items: could not measure: .*writes are not permitted/);
    expect((await copy.query(CONTENT))[0].rows).toBe(drifted);

    const applied = run('--allow-writes');
    expect(applied.stderr).toContain(
      `Reconcile writes to west (127.0.0.1:${copy.port}/postgres): items gets 1 insert, 1 update and 1 delete in 1 transaction. (--allow-writes)`,
    );
    expect(applied.stdout).toMatch(
      /reconcile east → west: items: repaired: 1 inserts, 1 updates, 1 deletes in 1 transactions; compared again, identical \(100 rows\)/,
    );
    expect((await copy.query(CONTENT))[0].rows).toBe((await source.query(CONTENT))[0].rows);
  });
});
