import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffOptions, DiffResult } from '../../src/core/diff';
import { describeDiff } from '../../src/core/diff/describe';
import { startStandalone, type PgServer } from '../helpers/pgCluster';
import { runProbeCell } from '../helpers/probeRun';
import { bindingsOf, connectionTo, diffBetween, newPool } from './sqlHarness';

// An incident where far more rows drifted than a diff keeps keys for (a bad migration on one copy, a
// restore from the wrong day): the counts must still be exact, and a repair must not be planned from a part.

let a: PgServer;
let b: PgServer;
const pool = newPool();
const MAX_KEYS = 50;

beforeAll(async () => {
  [a, b] = await Promise.all([startStandalone(), startStandalone()]);
  const tables = `CREATE TABLE drift_int (id int PRIMARY KEY, v int);
    CREATE TABLE drift_text (k text COLLATE "C" PRIMARY KEY, v int)`;
  await Promise.all([a.query(tables), b.query(tables)]);
});
afterAll(async () => {
  await pool.closeAll();
  await Promise.all([a?.destroy(), b?.destroy()]);
});

const diff = (options: DiffOptions) => diffBetween(pool, a, b)(options);

type Edit = 'same' | 'changed' | 'deleted';
interface Case {
  rows: number;
  edits: Edit[];
  inserted: number;
}

// Every row's fate on the target; 'all changed' is drawn often, since it is the case that was wrong.
const caseArb: fc.Arbitrary<Case> = fc
  .record({
    rows: fc.integer({ min: 150, max: 500 }),
    weights: fc.oneof(
      fc.constant<[number, number, number]>([0, 1, 0]),
      fc.tuple(fc.nat(10), fc.nat(10), fc.nat(10)).filter(([x, y, z]) => x + y + z > 0),
    ),
    seed: fc.integer(),
    inserted: fc.integer({ min: 0, max: 120 }),
  })
  .map(({ rows, weights, seed, inserted }) => {
    const [same, changed, deleted] = weights;
    const total = same + changed + deleted;
    // A small LCG from the drawn seed: fast-check shrinks the seed, not 500 separate choices.
    let state = seed >>> 0;
    const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) % total;
    const edits = Array.from({ length: rows }, (): Edit => {
      const r = next();
      return r < same ? 'same' : r < same + changed ? 'changed' : 'deleted';
    });
    return { rows, edits, inserted };
  });

function tablesOf(c: Case): { source: Map<number, number>; target: Map<number, number> } {
  const source = new Map<number, number>();
  const target = new Map<number, number>();
  c.edits.forEach((edit, i) => {
    source.set(i, i);
    if (edit === 'same') target.set(i, i);
    if (edit === 'changed') target.set(i, -i - 1);
  });
  for (let j = 0; j < c.inserted; j++) target.set(c.rows + j, 0);
  return { source, target };
}

function truth({ source, target }: ReturnType<typeof tablesOf>) {
  const missingInTarget = [...source.keys()].filter((k) => !target.has(k));
  const missingInSource = [...target.keys()].filter((k) => !source.has(k));
  const changed = [...source.keys()].filter((k) => target.has(k) && target.get(k) !== source.get(k));
  return { missingInTarget, missingInSource, changed };
}

async function load(server: PgServer, table: 'drift_int' | 'drift_text', rows: Map<number, number>) {
  const key = table === 'drift_int' ? 'id' : 'k';
  const cast = table === 'drift_int' ? 'int' : 'text';
  await server.query(`TRUNCATE ${table}`);
  await server.query(
    `INSERT INTO ${table} (${key}, v) SELECT k::${cast}, v FROM unnest($1::int[], $2::int[]) u(k, v)`,
    [[...rows.keys()], [...rows.values()]],
  );
}

function expectExact(result: DiffResult, want: ReturnType<typeof truth>) {
  const total = want.missingInTarget.length + want.missingInSource.length + want.changed.length;
  expect({
    missingInTarget: result.missingInTarget,
    missingInSource: result.missingInSource,
    changed: result.changed,
  }).toEqual({
    missingInTarget: want.missingInTarget.length,
    missingInSource: want.missingInSource.length,
    changed: want.changed.length,
  });
  expect(result.keysFound).toBe(total);
  expect(result.keysKept).toBe(Math.min(MAX_KEYS, total));
  expect(result.keysTruncated).toBe(total > MAX_KEYS);
  expect(result.countsExact).toBe(true);
  // The keys kept are true differences of their class.
  const asSet = (list: number[]) => new Set(list.map(String));
  for (const kind of ['missingInTarget', 'missingInSource', 'changed'] as const)
    for (const [k] of result.keys[kind]) expect(asSet(want[kind]).has(k ?? '')).toBe(true);
}

describe('counts beyond the keys kept, against a brute force', () => {
  it.each([
    ['drift_int', 'auto'],
    ['drift_int', 'merge'],
    ['drift_text', 'auto'],
  ] as const)('%s (%s): every class counted exactly, keys kept up to max-keys', async (table, method) => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.integer({ min: 7, max: 300 }), async (c, chunk) => {
        const pair = tablesOf(c);
        await Promise.all([load(a, table, pair.source), load(b, table, pair.target)]);
        const result = await diff({ table, maxKeys: MAX_KEYS, initialChunkRows: chunk, chunkTargetMs: 1, method });
        expectExact(result, truth(pair));
      }),
      { numRuns: 10 },
    );
  });
});

describe('dense drift on a table larger than a merge sub-range (50,000 source rows)', () => {
  // A copy where one row in ten went wrong, merged by hashes over several sub-ranges of one chunk.
  it('counts exactly across the sub-ranges, on either side of their ends', async () => {
    const fill = `TRUNCATE drift_int; INSERT INTO drift_int SELECT g, g FROM generate_series(1, 120000) g`;
    await Promise.all([a.query(fill), b.query(fill)]);
    // Changed, deleted and added rows, some right at the sub-range ends (50,000 and 100,000).
    await b.query(`UPDATE drift_int SET v = -v WHERE id % 10 = 0;
      DELETE FROM drift_int WHERE id % 97 = 1 OR id IN (50001, 99999); INSERT INTO drift_int VALUES (200000, 0)`);
    const [want] = await b.query(
      `SELECT count(*) FILTER (WHERE id % 10 = 0 AND id <= 120000)::int AS changed FROM drift_int`,
    );
    const [gone] = await b.query(`SELECT 120000 - count(*) FILTER (WHERE id <= 120000)::int AS n FROM drift_int`);
    const result = await diff({ table: 'drift_int', maxKeys: MAX_KEYS, initialChunkRows: 200_000, method: 'merge' });
    expect(result).toMatchObject({
      sourceRows: 120000,
      missingInTarget: gone?.n,
      missingInSource: 1,
      changed: want?.changed,
      countsExact: true,
    });
  });
});

describe('a key in a linguistic collation', () => {
  // Two servers may sort such a key differently (another ICU or glibc version): a changed row's two sides
  // can then fall in different chunks, and past max-keys the diff cannot pair them. It says so.
  it('counts what it found, and says the counts may not be exact once one-sided keys were not kept', async () => {
    const table = `CREATE TABLE drift_icu (k text COLLATE "en-US-x-icu" PRIMARY KEY, v int);
      INSERT INTO drift_icu SELECT 'k' || g, g FROM generate_series(1, 400) g`;
    await Promise.all([a.query(table), b.query(table)]);
    await b.query(`DELETE FROM drift_icu WHERE v % 4 = 0`);
    const result = await diff({ table: 'drift_icu', maxKeys: MAX_KEYS, initialChunkRows: 50, chunkTargetMs: 1 });
    expect(result).toMatchObject({ missingInTarget: 100, missingInSource: 0, changed: 0, keysKept: 50 });
    expect(result.countsExact).toBe(false);
    const few = await diff({ table: 'drift_icu', maxKeys: 1000, initialChunkRows: 50, chunkTargetMs: 1 });
    expect(few).toMatchObject({ missingInTarget: 100, keysKept: 100, keysTruncated: false, countsExact: true });
  });
});

describe('every row changed in one column (issue 19)', () => {
  const EVERY_ROW = 'UPDATE drift_int SET v = v + 1';

  beforeAll(async () => {
    const rows = new Map(Array.from({ length: 2000 }, (_, i) => [i, i] as [number, number]));
    await Promise.all([load(a, 'drift_int', rows), load(b, 'drift_int', rows)]);
    await b.query(EVERY_ROW);
  });

  it('is 2000 changed and nothing missing, with 50 keys kept of 2000', async () => {
    const result = await diff({ table: 'drift_int', maxKeys: MAX_KEYS });
    expect(result).toMatchObject({ missingInTarget: 0, missingInSource: 0, changed: 2000, countsExact: true });
    expect(result).toMatchObject({ keysKept: 50, keysFound: 2000, keysTruncated: true });
    expect(describeDiff(result, 'src', 'dst', 5)).toContain('\n  (50 keys kept of 2000; the counts are exact)');
  });

  const bindings = () =>
    bindingsOf({
      primary: [connectionTo(a, 'east')],
      copy: [connectionTo(b, 'west', { allowWrites: true })],
    });

  it('table-drift says so; reconcile refuses to plan a repair, with the right counts', async () => {
    const [drift] = await runProbeCell('table-drift table=drift_int target=copy max-keys=50', {
      bindings: bindings(),
      pool,
    });
    expect(drift).toMatchObject({
      severity: 'critical',
      metrics: { missingInTarget: 0, missingInSource: 0, changed: 2000, keysKept: 50, keysFound: 2000 },
    });
    const [refused] = await runProbeCell('reconcile table=drift_int from=primary to=copy max-keys=50 apply=yes', {
      bindings: bindings(),
      pool,
      writesPermitted: true,
      confirmWrite: async () => true,
    });
    expect(refused).toMatchObject({
      severity: 'critical',
      metrics: { missingInTarget: 0, missingInSource: 0, changed: 2000, keysKept: 50, keysFound: 2000 },
    });
    expect(refused?.summary).toMatch(/^no repair: 0 missing in the target, 0 missing in the source, 2000 changed/);
    expect((await b.query('SELECT count(*)::int AS n FROM drift_int WHERE v = id + 1'))[0]).toEqual({ n: 2000 });
  });
});
