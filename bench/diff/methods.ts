/**
 * The ways of comparing the benchmark table, each run in a process of its own (for its peak memory):
 * (a) full fetch and compare in the client, (b) checksum bisection as data-diff does it, (c) one hash scan
 * per side with nothing compared (the floor), (d) the engine, the peer (pg_comparator, peer.ts) and a full
 * COPY of both sides. Bytes here are the rows' DataRow (COPY: CopyData) messages; the relay counts the wire.
 */
import { Client, Query } from 'pg';
import Cursor from 'pg-cursor';
import { diffTable, sessionSide } from '../../src/core/diff';
import { keptText } from '../../src/core/diff/describe';
import { dataRowBytes } from '../../src/core/diff/wireBytes';
import { SessionPool } from '../../src/core/sql/sessionPool';
import { NodePostgresClient } from '../../src/drivers/pgClient';
import type { ResolvedConnection } from '../../src/core/connections/model';
import { ROW_TEXT } from './data';
import { peer } from './peer';

export interface Found {
  missingInTarget: string[];
  missingInSource: string[];
  changed: string[];
  bytes: number;
  queries: number;
  method?: string;
  /** The counts the method reports, when it counts past the keys it keeps (the engine); else the lists'. */
  counts?: { missingInTarget: number; missingInSource: number; changed: number };
  /** False when the method itself says its counts may be off (the engine's `countsExact`). */
  countsExact?: boolean;
}

type Row = (string | null)[];

class Side {
  bytes = 0;
  queries = 0;
  constructor(readonly client: Client) {}

  static async open(port: number): Promise<Side> {
    const client = new Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database: 'postgres',
      options: '-c jit=off -c TimeZone=UTC -c max_parallel_workers_per_gather=0',
    });
    await client.connect();
    return new Side(client);
  }

  async query(text: string, values: unknown[] = []): Promise<Row[]> {
    this.queries++;
    const result = await this.client.query({
      text,
      values,
      rowMode: 'array',
      types: { getTypeParser: () => (v: string) => v },
    });
    const rows = result.rows as Row[];
    for (const r of rows) this.bytes += dataRowBytes(r);
    return rows;
  }
}

async function withSides<T>(ports: [number, number], work: (s: Side, t: Side) => Promise<T>): Promise<T> {
  const [s, t] = await Promise.all(ports.map((p) => Side.open(p)));
  try {
    return await work(s as Side, t as Side);
  } finally {
    await Promise.all([s?.client.end(), t?.client.end()]);
  }
}

/** (c) The floor: each side reads and hashes every row once, both at once; nothing is compared. */
export function floor(ports: [number, number]): Promise<Found> {
  return withSides(ports, async (s, t) => {
    await Promise.all([s, t].map((x) => x.query(`SELECT sum(hashtext(t::text))::text FROM bench t`)));
    return { missingInTarget: [], missingInSource: [], changed: [], bytes: s.bytes + t.bytes, queries: 2 };
  });
}

/** A COPY whose rows are counted and dropped (pg's own Query ignores CopyData). */
class CountedCopy extends Query {
  bytes = 0;
  handleCopyData(message: { chunk: Buffer }): void {
    this.bytes += message.chunk.length;
  }
}

/** Every row of both sides as COPY text, both at once: what moving the whole table costs. */
export function copyAll(ports: [number, number]): Promise<Found> {
  return withSides(ports, async (s, t) => {
    const copies = [s, t].map((x) => {
      const copy = new CountedCopy('COPY bench TO STDOUT');
      return new Promise<number>((resolve, reject) => {
        x.client
          .query(copy)
          .on('end', () => resolve(copy.bytes))
          .on('error', reject);
      });
    });
    const bytes = (await Promise.all(copies)).reduce((a, b) => a + b, 0);
    return { missingInTarget: [], missingInSource: [], changed: [], bytes, queries: 2 };
  });
}

/** (a) Every row from both sides in key order through cursors, merged in the client. */
export function fullFetch(ports: [number, number]): Promise<Found> {
  return withSides(ports, async (s, t) => {
    const sql = `SELECT t.id::text, ${ROW_TEXT} FROM bench t ORDER BY t.id`;
    const cursors = [s, t].map((x) =>
      x.client.query(new Cursor(sql, [], { rowMode: 'array', types: { getTypeParser: () => (v: string) => v } })),
    );
    const read = async (i: number, side: Side): Promise<Row[]> => {
      const rows = await (cursors[i] as Cursor).read(10_000);
      for (const r of rows as Row[]) side.bytes += dataRowBytes(r);
      return rows as Row[];
    };
    const found: Found = { missingInTarget: [], missingInSource: [], changed: [], bytes: 0, queries: 2 };
    let [a, b] = await Promise.all([read(0, s), read(1, t)]);
    let i = 0;
    let j = 0;
    while (a.length > 0 || b.length > 0) {
      if (i === a.length && a.length > 0) [a, i] = [await read(0, s), 0];
      if (j === b.length && b.length > 0) [b, j] = [await read(1, t), 0];
      const x = a[i];
      const y = b[j];
      if (!x && !y) break;
      const c = !x ? 1 : !y ? -1 : Number(x[0]) - Number(y[0]);
      if (c < 0) found.missingInTarget.push(x?.[0] ?? '');
      else if (c > 0) found.missingInSource.push(y?.[0] ?? '');
      else if (x?.[1] !== y?.[1]) found.changed.push(x?.[0] ?? '');
      if (c <= 0) i++;
      if (c >= 0) j++;
    }
    await Promise.all(cursors.map((c) => c.close()));
    found.bytes = s.bytes + t.bytes;
    return found;
  });
}

const FACTOR = 32;
const THRESHOLD = 16_384;
const CHECKSUM = `sum(('x' || substring(md5(${ROW_TEXT}), 21))::bit(48)::bigint - 140737488355327)::text`;

/** (b) data-diff's bisection: checksum 32 segments per side, recurse into those that differ, download small ones. */
export function bisection(ports: [number, number]): Promise<Found> {
  return withSides(ports, async (s, t) => {
    const found: Found = { missingInTarget: [], missingInSource: [], changed: [], bytes: 0, queries: 0 };
    const bounds = await Promise.all([s, t].map((x) => x.query('SELECT min(id)::text, max(id)::text FROM bench')));
    const lo = Math.min(...bounds.map((r) => Number(r[0]?.[0] ?? 0)));
    const hi = Math.max(...bounds.map((r) => Number(r[0]?.[1] ?? 0))) + 1;
    await segment(s, t, lo, hi, found);
    found.bytes = s.bytes + t.bytes;
    found.queries = s.queries + t.queries;
    return found;
  });
}

async function segment(s: Side, t: Side, lo: number, hi: number, found: Found): Promise<void> {
  const step = Math.ceil((hi - lo) / FACTOR);
  for (let start = lo; start < hi; start += step) {
    const end = Math.min(hi, start + step);
    const sql = `SELECT count(*)::text, ${CHECKSUM} FROM bench t WHERE id >= $1 AND id < $2`;
    const [[x], [y]] = await Promise.all([s.query(sql, [start, end]), t.query(sql, [start, end])]);
    if (x?.[0] === y?.[0] && x?.[1] === y?.[1]) continue;
    if (Math.max(Number(x?.[0]), Number(y?.[0])) < THRESHOLD || end - start <= FACTOR)
      await download(s, t, start, end, found);
    else await segment(s, t, start, end, found);
  }
}

async function download(s: Side, t: Side, lo: number, hi: number, found: Found): Promise<void> {
  const sql = `SELECT id::text, md5(${ROW_TEXT}) FROM bench t WHERE id >= $1 AND id < $2`;
  const [a, b] = await Promise.all([s.query(sql, [lo, hi]), t.query(sql, [lo, hi])]);
  const target = new Map(b.map((r) => [r[0], r[1]]));
  for (const [id, h] of a) {
    if (!target.has(id)) found.missingInTarget.push(id ?? '');
    else if (target.get(id) !== h) found.changed.push(id ?? '');
    target.delete(id);
  }
  found.missingInSource.push(...[...target.keys()].map((k) => k ?? ''));
}

function connection(name: string, port: number): ResolvedConnection {
  return {
    name,
    host: '127.0.0.1',
    port,
    database: 'postgres',
    user: 'postgres',
    sslmode: 'disable',
    allowWrites: false,
    passwordSource: 'none',
  };
}

/** (d) The engine, through the same session layer cnbook uses. */
export async function engine(ports: [number, number]): Promise<Found> {
  const pool = new SessionPool(new NodePostgresClient(async () => undefined), {
    connectTimeoutMs: 10_000,
    applicationName: 'cnbook-bench',
  });
  try {
    const result = await diffTable(
      sessionSide(pool, connection('source', ports[0]), 1000),
      sessionSide(pool, connection('target', ports[1]), 1000),
      {
        table: 'bench',
      },
    );
    const ids = (keys: string[][]) => keys.map((k) => k[0] ?? '');
    return {
      missingInTarget: ids(result.keys.missingInTarget),
      missingInSource: ids(result.keys.missingInSource),
      changed: ids(result.keys.changed),
      bytes: result.bytesReceived,
      queries: result.queries,
      method: `${result.method}, ${result.chunks} chunks, ${keptText(result)}`,
      countsExact: result.countsExact,
      counts: {
        missingInTarget: result.missingInTarget,
        missingInSource: result.missingInSource,
        changed: result.changed,
      },
    };
  } finally {
    await pool.closeAll();
  }
}

export const METHODS = { full: fullFetch, bisection, floor, engine, peer, copy: copyAll } as const;
export type MethodName = keyof typeof METHODS;

/** `child METHOD SOURCE_PORT TARGET_PORT`: runs one method and prints what it found, its time and peak memory. */
export async function childMain(args: string[]): Promise<void> {
  const [name, sourcePort, targetPort] = args;
  const method = METHODS[name as MethodName];
  const started = performance.now();
  const found = await method([Number(sourcePort), Number(targetPort)]);
  const ms = performance.now() - started;
  process.stdout.write(JSON.stringify({ ...found, ms, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
}
