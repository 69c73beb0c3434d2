import { boundaryQuery, hashPageQuery, SETUP, type KeyRange } from './queries';
import type { CountingSide } from './counting';
import type { DiffRun } from './run';
import type { ChunkOutcome } from './ibltChunk';
import type { KeyValues } from './types';

/** Rows of the source held in memory at once while merging. */
const SUB_RANGE_ROWS = 50_000;
const PAGE_ROWS = 10_000;

/**
 * The fallback when many rows differ: both sides send (key, row hash) for every row of the range, a page
 * at a time, each in its own key order; the client joins them by key, holding one sub-range of the source.
 */
export async function mergeChunk(run: DiffRun, range: KeyRange): Promise<ChunkOutcome> {
  const outcome: ChunkOutcome = { differences: run.differences.forChunk(), sourceRows: 0, targetRows: 0 };
  let lower = range.lower;
  for (;;) {
    const [end] = await run.source.run(
      boundaryQuery(run.shape, { ...rangeFrom(lower), ...upperOf(range) }, SUB_RANGE_ROWS),
      {
        timeoutMs: run.timeoutMs,
        setup: SETUP,
      },
    );
    const upper = end ? end.map((v) => v ?? '') : range.upper;
    await mergeSubRange(run, { ...rangeFrom(lower), ...(upper ? { upper } : {}) }, outcome);
    if (!end) return outcome;
    lower = upper;
  }
}

const rangeFrom = (lower: KeyValues | undefined): KeyRange => (lower ? { lower } : {});
const upperOf = (range: KeyRange): KeyRange => (range.upper ? { upper: range.upper } : {});

async function mergeSubRange(run: DiffRun, range: KeyRange, outcome: ChunkOutcome): Promise<void> {
  const n = run.shape.keys.length;
  const source = new Map<string, { key: KeyValues; hash: string }>();
  // Both sides stream at once; target rows that arrive before the source is complete wait in a buffer.
  let buffered: (string | null)[][] | undefined = [];
  const classify = (rows: (string | null)[][]) => {
    for (const r of rows) {
      const key = r.slice(0, n).map((v) => v ?? '');
      const id = JSON.stringify(key);
      const mine = source.get(id);
      const hash = r[n] ?? '';
      if (!mine) outcome.differences.only({ side: 'target', key, hash });
      else {
        source.delete(id);
        if (mine.hash !== hash) outcome.differences.changed(key);
      }
    }
  };
  const targetDone = eachPage(run, run.target, range, (rows) => {
    outcome.targetRows += rows.length;
    if (buffered) buffered.push(...rows);
    else classify(rows);
  });
  await eachPage(run, run.source, range, (rows) => {
    outcome.sourceRows += rows.length;
    for (const r of rows) {
      const key = r.slice(0, n).map((v) => v ?? '');
      source.set(JSON.stringify(key), { key, hash: r[n] ?? '' });
    }
  }).catch(async (error: unknown) => {
    await targetDone.catch(() => undefined);
    throw error;
  });
  const early = buffered;
  buffered = undefined;
  classify(early);
  await targetDone;
  for (const { key, hash } of source.values()) outcome.differences.only({ side: 'source', key, hash });
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
    const rows = await side.run(hashPageQuery(run.shape, range, after, PAGE_ROWS), {
      timeoutMs: run.timeoutMs,
      setup: SETUP,
    });
    consume(rows);
    if (rows.length < PAGE_ROWS) return;
    after = (rows[rows.length - 1] as (string | null)[]).slice(0, n).map((v) => v ?? '');
  }
}
