import { checksumQuery, SETUP, type KeyRange } from './queries';
import { both, type DiffRun } from './run';

/** 32 buckets (a power of two) count up to ~70 differing keys by linear counting, for 32 rows a side. */
export const COUNTING_BUCKETS = 32;
// Past this share of differing buckets the count is too coarse: many rows differ.
const SATURATED = 29 / 32;

export type Checksummed =
  | { equal: true; rows: number }
  /** `estimate`: rows that differ, when the buckets can tell; `many` when they all but all differ. */
  | { equal: false; estimate?: number; many: boolean };

/**
 * Settles a range that is likely equal by `buckets` checksums of its row hashes, one scan a side (one
 * bucket: one row a side); when it is not equal, estimates how many rows differ, to size the sketch.
 */
export async function checksumChunk(run: DiffRun, range: KeyRange, buckets: number): Promise<Checksummed> {
  const query = checksumQuery(run.shape, range, buckets);
  const [a, b] = await both(run, async (side) => {
    const rows = await side.run(query, { timeoutMs: run.timeoutMs, settings: SETUP });
    return new Map(rows.map(([bucket, ...sums]) => [bucket ?? '', sums.join('|')]));
  });
  let differing = 0;
  for (const bucket of new Set([...a.keys(), ...b.keys()])) if (a.get(bucket) !== b.get(bucket)) differing++;
  if (differing === 0) {
    const rows = [...a.values()].reduce((sum, sums) => sum + Number(sums.split('|')[0]), 0);
    return { equal: true, rows };
  }
  if (buckets < COUNTING_BUCKETS) return { equal: false, many: false };
  if (differing >= SATURATED * buckets) return { equal: false, many: true };
  // Buckets are by key: a differing key is one or two IBLT elements (a changed row is one on each side).
  const keys = buckets * Math.log(buckets / (buckets - differing));
  return { equal: false, estimate: Math.ceil(2 * keys), many: false };
}
