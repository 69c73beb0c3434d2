import { boundariesQuery, hashesQuery, hashPageQuery, SETUP, type KeyRange } from './queries';
import { checkCancelled } from './run';
import type { CountingSide } from './counting';
import type { DiffRun } from './run';
import type { ChunkOutcome } from './ibltChunk';
import type { KeyValues } from './types';

/** Rows of the source held in memory at once while merging. */
const SUB_RANGE_ROWS = 50_000;
// The source bounds a sub-range; the target may hold more rows in it (rows missing in the source): pages.
const TARGET_PAGE_ROWS = 2 * SUB_RANGE_ROWS;

/**
 * The fallback when many rows differ: both sides send (key, row hash) for every row of the range, the
 * source a sub-range in one query, the target in pages of its own key order; the client joins them by key,
 * holding one sub-range of the source. The sub-ranges' ends come from one index scan of the source.
 */
export async function mergeChunk(run: DiffRun, range: KeyRange): Promise<ChunkOutcome> {
  const outcome: ChunkOutcome = { differences: run.differences.forChunk(), sourceRows: 0, targetRows: 0 };
  const n = run.shape.keys.length;
  const options = { timeoutMs: run.timeoutMs, settings: SETUP };
  const found = await run.source.run(boundariesQuery(run.shape, range, SUB_RANGE_ROWS), options);
  const ends: (KeyValues | undefined)[] = found.map((r) => r.slice(0, n).map((v) => v ?? ''));
  // The chunk's last sub-range ends where the chunk does (a boundary there would leave an empty one).
  if (ends.length > 0 && JSON.stringify(ends[ends.length - 1]) === JSON.stringify(range.upper)) ends.pop();
  ends.push(range.upper);
  let lower = range.lower;
  for (const upper of ends) {
    checkCancelled(run);
    await mergeSubRange(run, { ...rangeFrom(lower), ...(upper ? { upper } : {}) }, outcome);
    lower = upper;
  }
  return outcome;
}

const rangeFrom = (lower: KeyValues | undefined): KeyRange => (lower ? { lower } : {});

async function mergeSubRange(run: DiffRun, range: KeyRange, outcome: ChunkOutcome): Promise<void> {
  const n = run.shape.keys.length;
  const source = new Map<string, Row>();
  const keyOf = (r: Row): KeyValues => r.slice(0, n).map((v) => v ?? '');
  // Both sides stream at once; target rows that arrive before the source is complete wait in a buffer.
  let buffered: Row[] | undefined = [];
  const classify = (rows: Row[]) => {
    for (const r of rows) {
      const id = keyId(r, n);
      const mine = source.get(id);
      if (!mine) outcome.differences.only({ side: 'target', key: keyOf(r), hash: r[n] ?? '' });
      else {
        source.delete(id);
        if (mine[n] !== r[n]) outcome.differences.changed(keyOf(r));
      }
    }
  };
  const targetDone = eachPage(run, run.target, range, (rows) => {
    outcome.targetRows += rows.length;
    if (buffered) buffered.push(...rows);
    else classify(rows);
  });
  outcome.sourceRows += await readSource(run, range, source).catch(async (error: unknown) => {
    await targetDone.catch(() => undefined);
    throw error;
  });
  const early = buffered;
  buffered = undefined;
  classify(early);
  await targetDone;
  for (const r of source.values()) outcome.differences.only({ side: 'source', key: keyOf(r), hash: r[n] ?? '' });
}

type Row = (string | null)[];

/**
 * A key's identity within a merge, built without copying the row (it runs for every row of the chunk): text
 * holds no NUL byte in PostgreSQL, so NUL joins a composite key's columns unambiguously.
 */
function keyId(r: Row, n: number): string {
  if (n === 1) return r[0] ?? '';
  let id = r[0] ?? '';
  for (let i = 1; i < n; i++) id += `\u0000${r[i] ?? ''}`;
  return id;
}

/** The source's rows of a sub-range (one query: the source bounded it), by key; how many. */
async function readSource(run: DiffRun, range: KeyRange, into: Map<string, Row>) {
  const n = run.shape.keys.length;
  const rows = await run.source.run(hashesQuery(run.shape, range), { timeoutMs: run.timeoutMs, settings: SETUP });
  for (const r of rows) into.set(keyId(r, n), r);
  return rows.length;
}

async function eachPage(
  run: DiffRun,
  side: CountingSide,
  range: KeyRange,
  consume: (rows: (string | null)[][]) => void,
): Promise<void> {
  const n = run.shape.keys.length;
  let after: KeyValues | undefined;
  for (;;) {
    const rows = await side.run(hashPageQuery(run.shape, range, after, TARGET_PAGE_ROWS), {
      timeoutMs: run.timeoutMs,
      settings: SETUP,
    });
    consume(rows);
    if (rows.length < TARGET_PAGE_ROWS) return;
    after = (rows[rows.length - 1] as (string | null)[]).slice(0, n).map((v) => v ?? '');
  }
}
