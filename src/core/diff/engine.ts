import { DEFAULT_LIMITS } from '../defaults';
import { CountingSide } from './counting';
import { Differences, keyComparator } from './differences';
import { checksumChunk, COUNTING_BUCKETS } from './checksumChunk';
import { ibltChunk, MERGE_SHARE, type ChunkOutcome } from './ibltChunk';
import { mergeChunk } from './mergeChunk';
import { boundaryQuery, SETUP, type KeyRange } from './queries';
import { checkCancelled, isTimeout, type DiffRun } from './run';
import { recheck } from './recheck';
import { readShape } from './schema';
import type { DiffMethod, DiffOptions, DiffResult, DiffSide, KeyValues } from './types';

const MIN_CHUNK = DEFAULT_LIMITS.diffMinChunkRows;
const MAX_CHUNK = DEFAULT_LIMITS.diffMaxChunkRows;
// Below this many expected differences a chunk is likely enough equal to be tried by checksum first.
const CHECKSUM_BELOW = 1;

interface Totals {
  sourceRows: number;
  targetRows: number;
  chunks: number;
  usedIblt: boolean;
  usedMerge: boolean;
}

/**
 * Compares a table on two servers: key-range chunks, each scanned once per side (both sides at once)
 * into an IBLT whose difference decodes into the differing rows, or, when too many differ, merged by
 * per-row hashes. Chunks grow or shrink so that each query takes about `chunkTargetMs`.
 */
export async function diffTable(sourceSide: DiffSide, targetSide: DiffSide, options: DiffOptions): Promise<DiffResult> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const source = new CountingSide(sourceSide);
  const target = new CountingSide(targetSide);
  const shape = await readShape(sourceSide, targetSide, options);
  const run: DiffRun = {
    shape,
    source,
    target,
    timeoutMs: options.queryTimeoutMs ?? DEFAULT_LIMITS.diffQueryTimeoutMs,
    differences: new Differences(options.maxKeys ?? DEFAULT_LIMITS.diffMaxKeys),
    options,
  };
  const totals: Totals = { sourceRows: 0, targetRows: 0, chunks: 0, usedIblt: false, usedMerge: false };
  // The scan reads each side in one snapshot (fewer round trips); the recheck must see what is there now.
  await source.inSnapshot(() => target.inSnapshot(() => walkChunks(run, totals, now)));
  const scanned = run.differences.classify(shape.keys);
  const found = await recheck(run, scanned, options.settleMs ?? DEFAULT_LIMITS.diffSettleMs);
  // Keys not kept are not read again: they count as the scan found them.
  const overflow = {
    missingInTarget: scanned.counts.missingInTarget - scanned.missingInTarget.length,
    missingInSource: scanned.counts.missingInSource - scanned.missingInSource.length,
    changed: scanned.counts.changed - scanned.changed.length,
  };
  const kept = scanned.missingInTarget.length + scanned.missingInSource.length + scanned.changed.length;
  return {
    table: options.table,
    keyColumns: shape.keys.map((k) => k.name),
    columns: shape.columns.map((c) => c.name),
    sourceRows: totals.sourceRows,
    targetRows: totals.targetRows,
    missingInTarget: found.missingInTarget.length + overflow.missingInTarget,
    missingInSource: found.missingInSource.length + overflow.missingInSource,
    changed: found.changed.length + overflow.changed,
    inFlight: found.inFlight.length,
    replay: found.replay,
    keys: {
      missingInTarget: found.missingInTarget,
      missingInSource: found.missingInSource,
      changed: found.changed,
      inFlight: [...found.inFlight].sort(keyComparator(shape.keys)),
    },
    keysTruncated: kept < run.differences.total,
    keysKept: kept,
    keysFound: run.differences.total,
    countsExact: !run.differences.oneSidedDropped || shape.orderAgrees,
    bytesReceived: source.bytes + target.bytes,
    queries: source.queries + target.queries,
    durationMs: now() - started,
    method: methodOf(totals),
    chunks: totals.chunks,
    hash: shape.hash,
  };
}

function methodOf(totals: Totals): DiffMethod {
  return totals.usedIblt && totals.usedMerge ? 'iblt+merge' : totals.usedMerge ? 'merge' : 'iblt';
}

async function walkChunks(run: DiffRun, totals: Totals, now: () => number): Promise<void> {
  const targetMs = run.options.chunkTargetMs ?? DEFAULT_LIMITS.diffChunkTargetMs;
  let rows = run.options.initialChunkRows ?? DEFAULT_LIMITS.diffInitialChunkRows;
  let lower: KeyValues | undefined;
  for (;;) {
    checkCancelled(run);
    const [end] = await run.source.run(boundaryQuery(run.shape, lower ? { lower } : {}, rows), {
      timeoutMs: run.timeoutMs,
      settings: SETUP,
    });
    const upper = end?.map((v) => v ?? '');
    const range: KeyRange = { ...(lower ? { lower } : {}), ...(upper ? { upper } : {}) };
    const began = now();
    let outcome: ChunkOutcome;
    try {
      outcome = await compareChunk(run, range, expectedIn(run, totals, rows), totals);
    } catch (error) {
      // A chunk that ran into the query timeout is tried again at half the size.
      if (!isTimeout(error) || rows <= MIN_CHUNK) throw error;
      rows = Math.max(MIN_CHUNK, Math.floor(rows / 2));
      continue;
    }
    run.differences.absorb(outcome.differences);
    totals.sourceRows += outcome.sourceRows;
    totals.targetRows += outcome.targetRows;
    totals.chunks++;
    run.options.onProgress?.({
      chunks: totals.chunks,
      sourceRows: totals.sourceRows,
      estimatedRows: run.shape.estimatedRows,
      differences: run.differences.total,
    });
    if (!upper) return;
    lower = upper;
    const elapsed = Math.max(1, now() - began);
    rows = Math.round(Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, rows * Math.min(4, targetMs / elapsed))));
  }
}

/** Differences expected in a chunk of `rows` rows: the density seen so far (none before the first chunk). */
function expectedIn(run: DiffRun, totals: Totals, rows: number): number {
  return totals.sourceRows === 0 ? 0 : (run.differences.elements * rows) / totals.sourceRows;
}

async function compareChunk(run: DiffRun, range: KeyRange, expected: number, totals: Totals): Promise<ChunkOutcome> {
  if (run.options.method !== 'merge') {
    // Where the chunks so far were (nearly) equal, one checksum a side settles an equal chunk: a fraction of
    // a sketch's time and bytes. Where drift is dense, it would be a scan more for nothing.
    // The first chunk's checksums also count what differs (nothing is known yet); later ones are one row.
    const buckets = totals.chunks === 0 ? COUNTING_BUCKETS : 1;
    const checked = expected < CHECKSUM_BELOW ? await checksumChunk(run, range, buckets) : undefined;
    if (checked?.equal)
      return { differences: run.differences.forChunk(), sourceRows: checked.rows, targetRows: checked.rows };
    // Sized from the checksums' estimate when there is one, with room to spare: a sketch too small is read twice.
    const estimate = checked?.estimate ?? expected;
    // So many differ that per-row hashes cost less than cells: no sketch at all.
    const dense = checked !== undefined && estimate > MERGE_SHARE * checked.rows;
    const decoded = dense ? undefined : await ibltChunk(run, range, 1.5 * estimate + 8);
    if (decoded) {
      totals.usedIblt = true;
      return decoded;
    }
  }
  totals.usedMerge = true;
  return mergeChunk(run, range);
}
