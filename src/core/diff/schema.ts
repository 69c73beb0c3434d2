import type { DiffOptions, DiffSide } from './types';
import { quoteQualified } from '../probes/catalog/sqlNames';

export interface Column {
  name: string;
  /** As format_type writes it, e.g. `numeric(12,2)`, `public.mood`: usable in a cast. */
  type: string;
  integer: boolean;
  /** The collation the server orders it by ('' when the type has none; the database's for `default`). */
  collation: string;
}

/** What both sides agree on: the columns compared (by name), the key, and the hash both servers compute alike. */
export interface TableShape {
  table: string;
  keys: Column[];
  /** Compared columns sorted by name (keys included), so both sides build the same row text. */
  columns: Column[];
  /** Integer keys travel inside the IBLT cells; other keys as a hash, looked up afterwards. */
  integerKeys: boolean;
  /**
   * Both servers order the key alike (no collation, or byte order), so a key lies in the same chunk on both
   * sides and every changed row pairs within its chunk.
   */
  orderAgrees: boolean;
  hash: 'hashtextextended' | 'md5';
  where?: string;
  estimatedRows: number | null;
}

export class DiffSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiffSetupError';
  }
}

// Orders in which every server sorts a key alike: none (not a collatable type) and byte order.
const BYTE_ORDER = new Set(['', 'C', 'POSIX', 'ucs_basic']);

const META = { timeoutMs: 10_000 };
const COLUMNS_SQL = `SELECT a.attname, format_type(a.atttypid, a.atttypmod),
  (a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype))::text,
  CASE a.attcollation WHEN 0 THEN ''
    WHEN 100 THEN (SELECT datcollate FROM pg_database WHERE datname = current_database())
    ELSE (SELECT collname FROM pg_collation WHERE oid = a.attcollation) END
  FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`;
const UNIQUE_SQL = `SELECT i.indisprimary::text, (SELECT json_agg(a.attname ORDER BY k.ord)
    FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum)::text
  FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL`;
const ESTIMATE_SQL = `SELECT reltuples::bigint::text FROM pg_class WHERE oid = $1::regclass`;
const HASH_PROBE_SQL = `SELECT hashtextextended('cnbook diff: é', 0)::text`;

async function columnsOf(side: DiffSide, table: string): Promise<Map<string, Column>> {
  let rows: (string | null)[][];
  try {
    rows = await side.query(COLUMNS_SQL, [quoteQualified(table)], META);
  } catch (error) {
    throw new DiffSetupError(`table ${table} on ${side.name}: ${(error as Error).message}`);
  }
  return new Map(
    rows.map(([name, type, integer, collation]) => [
      name ?? '',
      { name: name ?? '', type: type ?? '', integer: integer === 'true', collation: collation ?? '' },
    ]),
  );
}

/** Reads both sides' columns and agrees on what to compare, or says exactly what differs. */
export async function readShape(source: DiffSide, target: DiffSide, options: DiffOptions): Promise<TableShape> {
  const [a, b] = await bothOrSourceError(columnsOf(source, options.table), columnsOf(target, options.table));
  const keyNames = options.key?.length ? [...options.key] : await primaryKey(source, options.table);
  const wanted = chosenColumns([...a.keys()], keyNames, options);
  const problems: string[] = [];
  for (const name of wanted) {
    const x = a.get(name);
    const y = b.get(name);
    if (!x) problems.push(`column ${name} is not in ${options.table} on ${source.name}`);
    else if (!y) problems.push(`column ${name} is missing on ${target.name}`);
    else if (x.type !== y.type)
      problems.push(`column ${name} is ${x.type} on ${source.name} but ${y.type} on ${target.name}`);
  }
  if (!options.columns) {
    for (const name of b.keys())
      if (!a.has(name) && !options.exclude?.includes(name))
        problems.push(`column ${name} is on ${target.name} only (exclude it with exclude=${name})`);
  }
  if (problems.length > 0) throw new DiffSetupError(`${options.table} differs in shape: ${problems.join('; ')}`);
  await requireUniqueKey(source, options.table, keyNames);
  const keys = keyNames.map((n) => a.get(n) as Column);
  return {
    table: options.table,
    keys,
    columns: wanted.map((n) => a.get(n) as Column),
    integerKeys: keys.every((k) => k.integer),
    orderAgrees: keys.every((k) => BYTE_ORDER.has(k.collation) && BYTE_ORDER.has(b.get(k.name)?.collation ?? '')),
    hash: await agreedHash(source, target),
    ...(options.where ? { where: options.where } : {}),
    estimatedRows: await estimate(source, options.table),
  };
}

/** Both results; when both fail, the source's error (the one a user fixes first). */
async function bothOrSourceError<T>(x: Promise<T>, y: Promise<T>): Promise<[T, T]> {
  const [a, b] = await Promise.allSettled([x, y]);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  return [a.value, b.value];
}

function chosenColumns(all: string[], keys: string[], options: DiffOptions): string[] {
  const unknown = [...(options.columns ?? []), ...(options.exclude ?? [])].filter((c) => !all.includes(c));
  if (unknown.length > 0) throw new DiffSetupError(`no column ${unknown.join(', ')} in ${options.table}`);
  const excludedKeys = keys.filter((k) => options.exclude?.includes(k));
  if (excludedKeys.length > 0) throw new DiffSetupError(`the key ${excludedKeys.join(', ')} cannot be excluded`);
  const base = options.columns ? [...new Set([...keys, ...options.columns])] : all;
  return base.filter((c) => !options.exclude?.includes(c)).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

async function primaryKey(side: DiffSide, table: string): Promise<string[]> {
  const rows = await side.query(UNIQUE_SQL, [quoteQualified(table)], META);
  const primary = rows.find(([p]) => p === 'true');
  if (!primary) throw new DiffSetupError(`${table} has no primary key on ${side.name}: name the key (key=COLUMN)`);
  return JSON.parse(primary[1] ?? '[]') as string[];
}

async function requireUniqueKey(side: DiffSide, table: string, keys: string[]): Promise<void> {
  const rows = await side.query(UNIQUE_SQL, [quoteQualified(table)], META);
  const wanted = [...keys].sort().join('\u0000');
  const unique = rows.some(([, cols]) => (JSON.parse(cols ?? '[]') as string[]).sort().join('\u0000') === wanted);
  if (!unique)
    throw new DiffSetupError(
      `(${keys.join(', ')}) is not a unique key of ${table} on ${side.name}: the diff needs a primary key or a unique index on it`,
    );
}

/** hashtextextended when both servers compute it alike (same byte order and algorithm), else md5. */
async function agreedHash(source: DiffSide, target: DiffSide): Promise<TableShape['hash']> {
  const probe = (side: DiffSide) =>
    side.query(HASH_PROBE_SQL, [], META).then(
      (r) => r[0]?.[0] ?? null,
      () => null,
    );
  const [x, y] = await Promise.all([probe(source), probe(target)]);
  return x !== null && x === y ? 'hashtextextended' : 'md5';
}

async function estimate(side: DiffSide, table: string): Promise<number | null> {
  const rows = await side.query(ESTIMATE_SQL, [quoteQualified(table)], META);
  const n = Number(rows[0]?.[0]);
  return Number.isFinite(n) && n >= 0 ? n : null;
}
