/**
 * Issue 16 item 6: a value longer than the limit is stored cut, with its full length and PostgreSQL's own
 * sha256 of it, while the statement's hash stays over the full rows; the record reads back as it was.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNotebook, printNotebook, sameNotebook, type Notebook } from '../../src/core/format';
import { DEFAULT_LIMITS } from '../../src/core/defaults';
import { resultOutput } from '../../src/core/sql/outputs';
import { hashedText } from '../../src/core/sql/resultBuilder';
import { buildCli, CLI } from '../helpers/builtCli';
import { startStandalone, type PgServer } from '../helpers/pgCluster';
import { bindingsOf, connectionTo, newPool, runCell } from './sqlHarness';

let server: PgServer;

beforeAll(async () => {
  server = await startStandalone();
  // A second login on the same server, so two connections can return values that differ only at the end.
  await server.query('CREATE ROLE other LOGIN; GRANT pg_read_all_data TO other');
});
afterAll(async () => server?.destroy());

// 1 + 20,000 × 4 bytes: the 64 KiB limit falls inside an emoji, which must be kept whole or not at all.
const WIDE = `'a' || repeat('😀', 20000)`;
const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

describe('a value longer than the limit', () => {
  it('is stored cut on a character boundary, with its full length and PostgreSQL’s sha256 of it', async () => {
    const pool = newPool();
    const sql = `SELECT ${WIDE} AS v, 'short' AS s`;
    const run = await runCell(sql, bindingsOf({ primary: [connectionTo(server, 'main')] }), pool);
    await pool.closeAll();
    expect(run.ok).toBe(true);
    const [server_] = await server.query(
      `SELECT v, octet_length(v) AS length, encode(sha256(convert_to(v, 'UTF8')), 'hex') AS sha256
       FROM (SELECT ${WIDE} AS v) t`,
    );
    const statement = run.payload.results[0]!.statements![0]!;
    const kept = statement.rows[0]![0]!;
    expect(kept).toBe(`a${'😀'.repeat(16383)}`);
    expect(Buffer.byteLength(kept)).toBe(65533);
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(DEFAULT_LIMITS.maxValueBytes);
    expect(statement.rows[0]![1]).toBe('short');
    expect(statement.cutCells).toEqual([{ row: 0, column: 0, length: 80001, sha256: server_.sha256 }]);
    expect(server_.length).toBe(80001);
    // The statement's hash is over the full value, as the server has it, not over what the record keeps.
    expect(statement.hash).toBe(`sha256:${sha256Hex(hashedText([[server_.v, 'short']]))}`);
  });

  it('cut at a limit of the run’s own, and left whole when it fits', async () => {
    const pool = newPool();
    const bindings = bindingsOf({ primary: [connectionTo(server, 'main')] });
    const run = await runCell(`SELECT repeat('é', 10) AS v, 'xyz' AS w`, bindings, pool, { maxValueBytes: 5 });
    await pool.closeAll();
    const statement = run.payload.results[0]!.statements![0]!;
    expect(statement.rows).toEqual([['éé', 'xyz']]);
    expect(statement.cutCells).toEqual([{ row: 0, column: 0, length: 20, sha256: sha256Hex('é'.repeat(10)) }]);
  });

  it('still tells apart two hosts whose values differ only after the cut, and the record reads back', async () => {
    const pool = newPool();
    const replicas = [connectionTo(server, 'db1'), connectionTo(server, 'db2', { user: 'other' })];
    const sql = `-- @on replicas\nSELECT ${WIDE} || current_user AS v`;
    const run = await runCell(sql, bindingsOf({ replicas }), pool);
    await pool.closeAll();
    const [one, two] = run.payload.results.map((r) => r.statements![0]!);
    expect(one!.rows).toEqual(two!.rows);
    expect(one!.cutCells![0]!.sha256).not.toBe(two!.cutCells![0]!.sha256);
    expect(one!.hash).not.toBe(two!.hash);
    expect(run.payload.comparison).toMatchObject({ agree: false, differingRows: { db1: [0], db2: [0] } });

    const notebook: Notebook = {
      frontMatter: { cnbook: 2 },
      cells: [{ kind: 'code', language: 'sql', source: sql, outputs: [resultOutput(run.payload)] }],
    };
    const text = printNotebook(notebook);
    expect(sameNotebook(parseNotebook(text), notebook)).toBe(true);
    expect(printNotebook(parseNotebook(text))).toBe(text);
    // The view says so: 80,001 bytes and the user's name (postgres, other).
    expect(text).toContain(`(cut: 80,009 bytes, sha256 ${one!.cutCells![0]!.sha256.slice(0, 12)}…)`);
    expect(text).toContain(`(cut: 80,006 bytes, sha256 ${two!.cutCells![0]!.sha256.slice(0, 12)}…)`);
    expect(text.length).toBeLessThan(3 * DEFAULT_LIMITS.maxValueBytes);
  });
});

describe('fetching wide rows', () => {
  it('holds a few rows at a time: 1,000 rows of 1 MB go through the CLI within a 200 MB heap', () => {
    buildCli();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-wide-'));
    try {
      const url = `postgres://postgres@127.0.0.1:${server.port}/postgres?sslmode=disable`;
      fs.writeFileSync(
        path.join(dir, 'c.json'),
        JSON.stringify({ connections: { main: { url } }, profiles: { p: { primary: 'main' } } }),
      );
      const sql = "SELECT g, repeat('w', 1000000) AS v FROM generate_series(1, 1000) g";
      fs.writeFileSync(path.join(dir, 'wide.cnbook'), `---\ncnbook: 2\n---\n\n\`\`\`sql\n${sql}\n\`\`\`\n`);
      // Read 5,000 rows at a time, as before, the 1 GB of values would be held at once and the heap run out.
      const args = ['run', 'wide.cnbook', '--connections', 'c.json', '--max-rows', '10', '--out', 'wide.out.cnbook'];
      const run = spawnSync(process.execPath, ['--max-old-space-size=200', CLI, ...args], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(run.status, run.stderr).toBe(0);
      const record = fs.readFileSync(path.join(dir, 'wide.out.cnbook'), 'utf8');
      expect(record).toContain('"rowCount":1000');
      expect(record).toContain('(cut: 1,000,000 bytes, sha256');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
