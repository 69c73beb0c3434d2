import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiffSetupError, type DiffOptions, type DiffResult } from '../../src/core/diff';
import { startStandalone, type PgServer } from '../helpers/pgCluster';
import { diffBetween, newPool } from './sqlHarness';

let a: PgServer;
let b: PgServer;
const pool = newPool();

beforeAll(async () => {
  [a, b] = await Promise.all([startStandalone(), startStandalone()]);
});
afterAll(async () => {
  await pool.closeAll();
  await Promise.all([a?.destroy(), b?.destroy()]);
});

const diff = (options: DiffOptions) => diffBetween(pool, a, b)(options);
const both = (sql: string) => Promise.all([a.query(sql), b.query(sql)]);
const keysOf = (result: DiffResult) => ({
  missingInTarget: result.keys.missingInTarget.map((k) => k.join('|')),
  missingInSource: result.keys.missingInSource.map((k) => k.join('|')),
  changed: result.keys.changed.map((k) => k.join('|')),
});

describe('equality per type (docs/diff.md)', () => {
  // Each row's id says what it holds; the target writes the value a second way.
  const cases: [string, string, string, 'equal' | 'changed'][] = [
    ['txt', `''`, 'NULL', 'changed'],
    ['txt', `'a'`, `'A'`, 'changed'],
    ['txt', `'é'`, `U&'e\\0301'`, 'changed'],
    ['num', '1.0', '1.00', 'changed'],
    ['num', '1.50', '1.50', 'equal'],
    ['at', `'2024-01-01 00:00:00+00'`, `'2024-01-01 01:00:00+01'`, 'equal'],
    ['at', `'2024-01-01 00:00:00.000001+00'`, `'2024-01-01 00:00:00.000002+00'`, 'changed'],
    ['ts', `'2024-01-01 00:00:00.5'`, `'2024-01-01 00:00:00.50'`, 'equal'],
    ['f8', '0.1::float8 + 0.2::float8', '0.3', 'changed'],
    ['f8', '0.1::float8 + 0.2::float8', '0.30000000000000004', 'equal'],
    ['f4', '1.1', '1.1000001', 'changed'],
    ['f8', `'-0'`, '0', 'changed'],
    ['f8', `'NaN'`, `'NaN'`, 'equal'],
    ['jb', `'{"a": 1, "b": 2}'`, `'{"b":2,"a":1}'`, 'equal'],
    ['js', `'{"a": 1, "b": 2}'`, `'{"b":2,"a":1}'`, 'changed'],
    ['by', `'\\x00'`, `'\\x0000'`, 'changed'],
    ['by', `'\\xdeadbeef'`, `decode('3q2+7w==', 'base64')`, 'equal'],
    ['arr', `'{1,2}'`, `'{2,1}'`, 'changed'],
    ['arr', `'{1,NULL}'`, `ARRAY[1,NULL]`, 'equal'],
    ['mood', `'happy'`, `'happy'`, 'equal'],
    ['mood', `'happy'`, `'sad'`, 'changed'],
    ['code', `'X1'`, `'X1'`, 'equal'],
    ['code', `'X1'`, `'X2'`, 'changed'],
  ];

  beforeAll(async () => {
    await both(`CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE DOMAIN code AS text CHECK (VALUE ~ '^X');
      CREATE TABLE typed (id int PRIMARY KEY, txt text, num numeric, at timestamptz, ts timestamp(3), f8 float8, f4 real,
        jb jsonb, js json, by bytea, arr int[], mood mood, code code)`);
    for (const [i, [column, left, right]] of cases.entries()) {
      await a.query(`INSERT INTO typed (id, ${column}) VALUES (${i}, ${left})`);
      await b.query(`INSERT INTO typed (id, ${column}) VALUES (${i}, ${right})`);
    }
  });

  it('finds exactly the rows whose values differ by the documented rules', async () => {
    const result = await diff({ table: 'typed' });
    const changed = cases.flatMap(([, , , want], i) => (want === 'changed' ? [String(i)] : []));
    expect(keysOf(result)).toEqual({ missingInTarget: [], missingInSource: [], changed });
    expect(result.columns).toEqual(
      ['arr', 'at', 'by', 'code', 'f4', 'f8', 'id', 'js', 'jb', 'mood', 'num', 'ts', 'txt'].sort(),
    );
  });

  it('compares a subset of columns, or all but some', async () => {
    const onlyNum = await diff({ table: 'typed', columns: ['num'] });
    expect(keysOf(onlyNum).changed).toEqual(
      cases.flatMap(([c, , , w], i) => (c === 'num' && w === 'changed' ? [String(i)] : [])),
    );
    const noText = await diff({ table: 'typed', exclude: ['txt'] });
    expect(keysOf(noText).changed).not.toContain('0');
    const where = await diff({ table: 'typed', where: 'id < 3' });
    expect(keysOf(where).changed).toEqual(['0', '1', '2']);
  });
});

describe('shape', () => {
  beforeAll(async () => {
    await a.query('CREATE TABLE shaped (id bigint PRIMARY KEY, x int, y text, only_a int)');
    await b.query('CREATE TABLE shaped (id bigint PRIMARY KEY, x bigint, y text, only_b int)');
  });

  it('names every column that differs between the sides', async () => {
    const error = await diff({ table: 'shaped' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiffSetupError);
    expect((error as Error).message).toBe(
      'shaped differs in shape: column only_a is missing on dst; column x is integer on src but bigint on dst; column only_b is on dst only (exclude it with exclude=only_b)',
    );
  });

  it('compares what both have when told to', async () => {
    const result = await diff({ table: 'shaped', columns: ['y'] });
    expect(result.changed + result.missingInSource + result.missingInTarget).toBe(0);
  });

  it('needs a unique key and a table that exists', async () => {
    await both('CREATE TABLE nokey (id int, v text)');
    await expect(diff({ table: 'nokey' })).rejects.toThrow(
      'nokey has no primary key on src: name the key (key=COLUMN)',
    );
    await expect(diff({ table: 'nokey', key: ['id'] })).rejects.toThrow('(id) is not a unique key of nokey on src');
    await expect(diff({ table: 'nosuch' })).rejects.toThrow(/table nosuch on src: .*does not exist/);
  });
});

describe('bytes on an equal table', () => {
  // The everyday check "are these two copies the same?": chunk after chunk settled by checksums.
  it('settles equal chunks by checksum: a few rows a side, not a sketch', async () => {
    await both(
      `CREATE TABLE calm (id int PRIMARY KEY, v text);
       INSERT INTO calm SELECT g, md5(g::text) FROM generate_series(1, 6000) g`,
    );
    const result = await diff({ table: 'calm', initialChunkRows: 1000, chunkTargetMs: 1 });
    expect(result).toMatchObject({ sourceRows: 6000, missingInTarget: 0, missingInSource: 0, changed: 0 });
    expect(result.chunks).toBeGreaterThanOrEqual(3);
    // The first chunk's 32 bucket checksums a side, then one row a side a chunk (a sketch was ~10 kB a chunk).
    expect(result.bytesReceived).toBeLessThan(8000);
  });
});

interface Pair {
  textKey: boolean;
  source: Map<string, string | null>;
  target: Map<string, string | null>;
}

// Keys of both kinds: integers (in the IBLT cells) and composite text keys (hashed, looked up), with
// text that sorts differently by bytes and by collation.
const keyArb = (textKey: boolean) =>
  textKey
    ? fc
        .tuple(fc.constantFrom('a', 'B', 'é', 'z', 'Z', 'ß', '😀', ''), fc.integer({ min: 0, max: 300 }))
        .map(([s, n]) => `${s}${n}`)
    : fc.integer({ min: -1000, max: 100_000 }).map(String);
const valueArb = fc.option(fc.constantFrom('', 'x', 'y', '1.0', '1.00', 'NULL'), { nil: null });

const pairArb = fc.boolean().chain((textKey) =>
  fc
    .tuple(
      fc.uniqueArray(fc.tuple(keyArb(textKey), valueArb), { selector: ([k]) => k, maxLength: 400 }),
      fc.array(fc.tuple(fc.nat(), fc.constantFrom('delete', 'update', 'insert'), valueArb, keyArb(textKey)), {
        maxLength: 60,
      }),
    )
    .map(([rows, edits]): Pair => {
      const source = new Map(rows);
      const target = new Map(rows);
      for (const [pick, kind, value, fresh] of edits) {
        const key = rows[pick % Math.max(1, rows.length)]?.[0];
        if (kind === 'insert') target.set(fresh, value);
        else if (key !== undefined && kind === 'delete') target.delete(key);
        else if (key !== undefined) target.set(key, value);
      }
      return { textKey, source, target };
    }),
);

function bruteForce({ source, target }: Pair) {
  const missingInTarget = [...source.keys()].filter((k) => !target.has(k));
  const missingInSource = [...target.keys()].filter((k) => !source.has(k));
  const changed = [...source.keys()].filter((k) => target.has(k) && target.get(k) !== source.get(k));
  return { missingInTarget: missingInTarget.sort(), missingInSource: missingInSource.sort(), changed: changed.sort() };
}

describe('against a brute force on generated table pairs', () => {
  beforeAll(async () => {
    await both(
      'CREATE TABLE prop_int (id int PRIMARY KEY, v text); CREATE TABLE prop_text (k text COLLATE "en-US-x-icu", n int, v text, PRIMARY KEY (k, n))',
    );
  });

  it.each(['auto', 'merge'] as const)('finds exactly the differing keys (%s)', async (method) => {
    await fc.assert(
      fc.asyncProperty(pairArb, fc.integer({ min: 7, max: 200 }), async (pair, chunk) => {
        const table = pair.textKey ? 'prop_text' : 'prop_int';
        await loadInto(a, table, pair.textKey, pair.source);
        await loadInto(b, table, pair.textKey, pair.target);
        const result = await diff({ table, initialChunkRows: chunk, chunkTargetMs: 1, method });
        const normal = (k: string[]) => (pair.textKey ? `${k[0]}${k[1]}` : (k[0] ?? ''));
        const got = {
          missingInTarget: result.keys.missingInTarget.map(normal).sort(),
          missingInSource: result.keys.missingInSource.map(normal).sort(),
          changed: result.keys.changed.map(normal).sort(),
        };
        expect(got).toEqual(bruteForce(pair));
        expect(result.sourceRows).toBe(pair.source.size);
        expect(result.targetRows).toBe(pair.target.size);
      }),
      { numRuns: 12 },
    );
  });
});

async function loadInto(server: PgServer, table: string, textKey: boolean, rows: Map<string, string | null>) {
  const keys = [...rows.keys()];
  const values = [...rows.values()];
  await server.query(`TRUNCATE ${table}`);
  if (textKey)
    await server.query(
      `INSERT INTO ${table} (k, n, v) SELECT substring(k FROM '^(.*?)\\d+$'), substring(k FROM '(\\d+)$')::int, v FROM unnest($1::text[], $2::text[]) u(k, v)`,
      [keys, values],
    );
  else await server.query(`INSERT INTO ${table} (id, v) SELECT * FROM unnest($1::int[], $2::text[])`, [keys, values]);
}
