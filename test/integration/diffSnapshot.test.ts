/**
 * The diff's scan reads each side in one read-only REPEATABLE READ snapshot (docs/diff.md, "Snapshots"), and a
 * held snapshot keeps every guarantee of a transaction of its own: read-only, bounded, released after a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffTable, sessionSide, type DiffSide } from '../../src/core/diff';
import type { HeldSnapshot, SqlSession, TransactionOptions } from '../../src/core/sql/client';
import { startStandalone, type PgServer } from '../helpers/pgCluster';
import { connectionTo, newPool } from './sqlHarness';

let a: PgServer;
let b: PgServer;
const pool = newPool();

beforeAll(async () => {
  [a, b] = await Promise.all([startStandalone(), startStandalone()]);
  const fill =
    'CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g';
  await Promise.all([a.query(fill), b.query(fill)]);
});
afterAll(async () => {
  await pool.closeAll();
  await Promise.all([a?.destroy(), b?.destroy()]);
});

/** A side that runs `write` before its first query after the first chunk (`chunkDone` marks it). */
function withWriteAfterFirstChunk(side: DiffSide, write: () => Promise<unknown>) {
  let chunkDone = false;
  let written = false;
  const wrapped: DiffSide = {
    name: side.name,
    async query(sql, values, options) {
      if (chunkDone && !written) {
        written = true;
        await write();
      }
      return side.query(sql, values, options);
    },
    ...(side.inSnapshot ? { inSnapshot: side.inSnapshot.bind(side) } : {}),
  };
  return { side: wrapped, onProgress: () => void (chunkDone = true) };
}

describe('one snapshot per side for the scan', () => {
  it('does not see rows the application writes on the target while the scan is under way', async () => {
    // An application still writing into the tail of the table while a long diff walks it: without one
    // snapshot the later chunks would see rows the earlier ones' moment did not have.
    const source = sessionSide(pool, connectionTo(a, 'src'), 1000);
    const target = withWriteAfterFirstChunk(sessionSide(pool, connectionTo(b, 'dst'), 1000), () =>
      b.query('INSERT INTO t SELECT g, md5(g::text) FROM generate_series(5001, 5100) g'),
    );
    try {
      const result = await diffTable(source, target.side, {
        table: 't',
        initialChunkRows: 1000,
        onProgress: target.onProgress,
      });
      expect(result.chunks).toBeGreaterThan(1);
      expect(result.missingInSource).toBe(0);
      // The rows are there for a diff that starts now.
      expect((await diffTable(source, target.side, { table: 't' })).missingInSource).toBe(100);
    } finally {
      await b.query('DELETE FROM t WHERE id > 5000');
    }
  });
});

describe('a held snapshot', () => {
  const options: TransactionOptions = {
    readOnly: true,
    statementTimeoutMs: 500,
    lockTimeoutMs: 500,
    maxRowsStored: 10,
    batchSize: 10,
  };
  const statement = (text: string) => ({ text, values: [], offset: 0 });
  const open = async (): Promise<[SqlSession, HeldSnapshot]> => {
    const session = await pool.get(connectionTo(a, 'guarded'));
    return [session, await (session.openSnapshot as NonNullable<SqlSession['openSnapshot']>)(options)];
  };
  const stillWorks = async (session: SqlSession) =>
    (await session.runTransaction([statement('SELECT 1')], options)).statements[0]?.rows;

  it('refuses a statement that turns the session read-write, and ends', async () => {
    // A where= of the user's own that tries to leave read-only mode halfway through a long diff.
    const [session, snapshot] = await open();
    const attack = statement("SELECT set_config('default_transaction_read_only', 'off', false)");
    try {
      await expect(snapshot.run(attack, [])).rejects.toThrow(/default_transaction_read_only off/);
      expect(snapshot.open).toBe(false);
      await expect(snapshot.run(statement('SELECT 1'), [])).rejects.toThrow(/has ended/);
    } finally {
      await snapshot.end();
    }
    expect(session.usable).toBe(false);
  });

  it('cannot write, and bounds a statement by its timeout, then lets the session go on', async () => {
    // A server that takes too long inside a long scan: the statement is cancelled, the snapshot rolled back,
    // and the run's other cells are not left queued behind it.
    const [session, snapshot] = await open();
    await expect(snapshot.run(statement('CREATE TABLE written (x int)'), [])).rejects.toThrow(/read-only/);
    const [, second] = await open();
    const started = performance.now();
    await expect(second.run(statement('SELECT pg_sleep(20)'), [])).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(10_000);
    await second.end();
    expect(await stillWorks(session.usable ? session : await pool.get(connectionTo(a, 'guarded')))).toEqual([['1']]);
  });

  it('keeps its snapshot across statements and holds other transactions until it ends', async () => {
    // The diff's statements of one side see one moment; a probe on the same session waits for the end.
    const [session, snapshot] = await open();
    const count = statement('SELECT count(*) FROM t');
    const before = await snapshot.run(count, []);
    await a.query('INSERT INTO t VALUES (9001, NULL)');
    try {
      const other = stillWorks(session);
      expect((await snapshot.run(count, [['enable_sort', 'off']])).rows).toEqual(before.rows);
      await snapshot.end();
      expect(await other).toEqual([['1']]);
    } finally {
      await a.query('DELETE FROM t WHERE id = 9001');
    }
  });
});
