/*
 * The SQL each side runs, generated from the agreed table shape. Identifiers are quoted, values are
 * bound parameters (as text, cast to the column's type); numbers spliced in are integers computed here.
 */
import { STRATUM_CELLS } from './strata';
import type { TableShape } from './schema';
import { quoteIdent, quoteQualified, textArrayLiteral } from '../probes/catalog/sqlNames';
import type { KeyValues } from './types';

const SETTINGS: [string, string][] = [
  ['TimeZone', 'UTC'],
  ['DateStyle', 'ISO, YMD'],
  ['IntervalStyle', 'postgres'],
  ['extra_float_digits', '3'],
  ['bytea_output', 'hex'],
  ['lc_monetary', 'C'],
  ['jit', 'off'],
];

/** Set in every transaction (with its BEGIN) so that equal values have equal text on every server (docs/diff.md). */
export const SETUP: readonly (readonly [string, string])[] = SETTINGS;
// The planner cannot know that the IBLT has only a few thousand cells and would sort every row.
export const IBLT_SETUP: readonly (readonly [string, string])[] = [...SETTINGS, ['enable_sort', 'off']];

/** A key range (lower, upper]: either end open when absent. */
export interface KeyRange {
  lower?: KeyValues;
  upper?: KeyValues;
}

export interface Query {
  text: string;
  values: (string | null)[];
}

const col = (name: string) => `t.${quoteIdent(name)}`;

function keyList(shape: TableShape): string {
  return shape.keys.map((k) => col(k.name)).join(', ');
}

function keyTexts(shape: TableShape): string {
  return shape.keys.map((k) => `${col(k.name)}::text`).join(', ');
}

function hashOf(shape: TableShape, text: string, seed: number): string {
  return shape.hash === 'hashtextextended'
    ? `hashtextextended(${text}, ${seed})`
    : `('x' || substr(md5('${seed}' || ${text}), 1, 16))::bit(64)::bigint`;
}

/** The row's hash: the row text of the compared columns in name order. */
export function rowHash(shape: TableShape): string {
  return hashOf(shape, `ROW(${shape.columns.map((c) => col(c.name)).join(', ')})::text`, 0);
}

function keyHash(shape: TableShape): string {
  return hashOf(shape, `ROW(${keyList(shape)})::text`, 1);
}

/** The key words of an IBLT element: the integer key columns themselves, or one hash of the key. */
function keyWords(shape: TableShape): string[] {
  return shape.integerKeys ? shape.keys.map((k) => `${col(k.name)}::bigint`) : [keyHash(shape)];
}

export function wordCount(shape: TableShape): number {
  return shape.integerKeys ? shape.keys.length : 1;
}

function compareTo(shape: TableShape, op: '>' | '<=', values: KeyValues, first: number): string {
  const params = shape.keys.map((k, i) => `$${first + i}::${k.type}`);
  return shape.keys.length === 1
    ? `${keyList(shape)} ${op} ${params[0]}`
    : `ROW(${keyList(shape)}) ${op} ROW(${params.join(', ')})`;
}

/** The WHERE clause of a range (plus the user's condition), with its parameters from $first on. */
function rangeClause(shape: TableShape, range: KeyRange, first = 1): Query {
  const parts: string[] = [];
  const values: string[] = [];
  if (range.lower) {
    parts.push(compareTo(shape, '>', range.lower, first));
    values.push(...range.lower);
  }
  if (range.upper) {
    parts.push(compareTo(shape, '<=', range.upper, first + values.length));
    values.push(...range.upper);
  }
  if (shape.where) parts.push(`(${shape.where})`);
  return { text: parts.length ? `WHERE ${parts.join(' AND ')}` : '', values };
}

const from = (shape: TableShape) => `FROM ${quoteQualified(shape.table)} t`;

/** The key `rows` rows into a range on this side (the next chunk's upper end), or nothing past its end. */
export function boundaryQuery(shape: TableShape, range: KeyRange, rows: number): Query {
  const where = rangeClause(shape, range);
  return {
    text: `SELECT ${keyTexts(shape)} ${from(shape)} ${where.text} ORDER BY ${keyList(shape)} OFFSET ${Math.max(0, Math.floor(rows) - 1)} LIMIT 1`,
    values: where.values,
  };
}

/** A cheap hash of the key (not of the row): which checksum bucket a row counts in. */
function keyBucket(shape: TableShape): string {
  return shape.integerKeys
    ? shape.keys.map((k) => `hashint8(${col(k.name)}::bigint)`).join(' # ')
    : `hashtext(ROW(${keyList(shape)})::text)`;
}

/**
 * One scan of a range into checksums: count and exact sum of the row hashes (no subquery, so the server may
 * scan in parallel). One row, or with `counting` 2 × half buckets by a hash of the key: the first half over
 * the keys outside a 1/sample share of them, the second over that share, so that how many buckets differ
 * estimates how many keys do, few or many.
 */
export function checksumQuery(shape: TableShape, range: KeyRange, counting?: { half: number; sample: number }): Query {
  const where = rangeClause(shape, range);
  const sums = `count(*)::text, sum(${rowHash(shape)})::text ${from(shape)} ${where.text}`;
  if (!counting) return { text: `SELECT '0', ${sums}`, values: where.values };
  const [half, sample] = [Math.floor(counting.half), Math.floor(counting.sample)];
  const kh = `(${keyBucket(shape)})`;
  const inSample = `(${kh} >> 5) & ${sample - 1} = 0`;
  const bucket = `CASE WHEN ${inSample} THEN ${half} + (${kh} & ${half - 1}) ELSE ${kh} & ${half - 1} END`;
  return { text: `SELECT (${bucket})::text, ${sums} GROUP BY 1`, values: where.values };
}

/**
 * One scan of a range building an IBLT of 3×q cells (grouping sets a, b, c) and the strata estimator
 * (grouping set s, sc). Rows: a, b, c, s, sc, count, key words…, hash XOR, check XOR.
 */
export function ibltQuery(shape: TableShape, range: KeyRange, q: number): Query {
  const where = rangeClause(shape, range);
  const words = keyWords(shape);
  const size = Math.floor(q);
  // OFFSET 0 keeps the planner from inlining h, which would compute the hash once per use.
  const rowsSql = `SELECT ${words.map((w, i) => `${w} AS w${i}`).join(', ')}, ${rowHash(shape)} AS h ${from(shape)} ${where.text} OFFSET 0`;
  const cells = `SELECT *, (h & 1048575) % ${size} AS a, ((h >> 20) & 1048575) % ${size} AS b, ((h >> 40) & 1048575) % ${size} AS c,
    floor(ln(((h >> 32) & 4294967295)::float8 + 1) * 1.4426950408889634)::int AS s, (h >> 28) & ${STRATUM_CELLS - 1} AS sc
    FROM (${rowsSql}) r OFFSET 0`;
  return {
    text: `SELECT a, b, c, s, sc, count(*), ${words.map((_, i) => `bit_xor(w${i})`).join(', ')}, bit_xor(h),
      bit_xor((h & 2147483647) * ((h >> 32) & 2147483647)) FROM (${cells}) e GROUP BY GROUPING SETS ((a), (b), (c), (s, sc))`,
    values: where.values,
  };
}

/** Every `every`-th key of a range in key order: the upper ends of its sub-ranges, in one index scan. */
export function boundariesQuery(shape: TableShape, range: KeyRange, every: number): Query {
  const where = rangeClause(shape, range);
  // Named so that no key column (already named by its column) can clash with it.
  const n = 'cnbook_row_number';
  const rowNumber = `row_number() OVER (ORDER BY ${keyList(shape)}) AS ${n}`;
  const numbered = `SELECT ${keyTexts(shape)}, ${rowNumber} ${from(shape)} ${where.text}`;
  return {
    text: `SELECT * FROM (${numbered}) x WHERE ${n} % ${Math.floor(every)} = 0 ORDER BY ${n}`,
    values: where.values,
  };
}

/** Keys and row hashes of every row of a range, in no particular order (a range the source bounded). */
export function hashesQuery(shape: TableShape, range: KeyRange): Query {
  const where = rangeClause(shape, range);
  return { text: `SELECT ${keyTexts(shape)}, ${rowHash(shape)} ${from(shape)} ${where.text}`, values: where.values };
}

/** Keys and row hashes of a range in this side's key order, a page at a time (keyset pagination). */
export function hashPageQuery(shape: TableShape, range: KeyRange, after: KeyValues | undefined, limit: number): Query {
  const lower = after ?? range.lower;
  const where = rangeClause(shape, { ...(lower ? { lower } : {}), ...(range.upper ? { upper: range.upper } : {}) });
  return {
    text: `SELECT ${keyTexts(shape)}, ${rowHash(shape)} ${from(shape)} ${where.text} ORDER BY ${keyList(shape)} LIMIT ${Math.floor(limit)}`,
    values: where.values,
  };
}

/** Keys and row hashes of the rows of a range whose key hash is one of `hashes` (for non-integer keys). */
export function lookupQuery(shape: TableShape, range: KeyRange, hashes: readonly bigint[]): Query {
  const where = rangeClause(shape, range);
  const n = where.values.length + 1;
  return {
    text: `SELECT * FROM (SELECT ${keyTexts(shape)}, ${rowHash(shape)}, ${keyHash(shape)} AS kh ${from(shape)} ${where.text} OFFSET 0) x
      WHERE kh = ANY($${n}::bigint[])`,
    values: [...where.values, textArrayLiteral(hashes.map(String))],
  };
}

function keysIn(shape: TableShape, keys: readonly KeyValues[]): Query {
  const arrays = shape.keys.map((k, i) => `$${i + 1}::${k.type}[]`);
  const values = shape.keys.map((_, i) => textArrayLiteral(keys.map((key) => key[i] ?? '')));
  const text =
    shape.keys.length === 1
      ? `${keyList(shape)} = ANY(${arrays[0]})`
      : `ROW(${keyList(shape)}) IN (SELECT * FROM unnest(${arrays.join(', ')}))`;
  return { text, values };
}

/** Keys and row hashes of the given keys (for the recheck). */
export function hashesOfKeysQuery(shape: TableShape, keys: readonly KeyValues[]): Query {
  const where = keysIn(shape, keys);
  return {
    text: `SELECT ${keyTexts(shape)}, ${rowHash(shape)} ${from(shape)} WHERE ${where.text}`,
    values: where.values,
  };
}

/** Keys and every compared column as text, for the evidence and the repair. */
export function rowsOfKeysQuery(shape: TableShape, keys: readonly KeyValues[]): Query {
  const where = keysIn(shape, keys);
  const columns = shape.columns.map((c) => `${col(c.name)}::text`).join(', ');
  return { text: `SELECT ${keyTexts(shape)}, ${columns} ${from(shape)} WHERE ${where.text}`, values: where.values };
}
