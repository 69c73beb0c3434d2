import { checksumQuery, SETUP, type KeyRange } from './queries';
import { both, type DiffRun } from './run';

/**
 * Buckets of the counting checksums (the first chunk's): 32 over all keys and 32 over a 1/64 sample of them,
 * 64 rows a side, counting by linear counting up to ~70 differing keys, and from the sample up to ~4,500.
 */
export const COUNTING_BUCKETS = 64;
const HALF = COUNTING_BUCKETS / 2;
const SAMPLE = 64;
// Past this many differing buckets of 32 linear counting is too coarse.
const SATURATED = 29;

export type Checksummed =
  | { equal: true; rows: number }
  /**
   * `estimate`: IBLT elements that differ (a changed row is one on each side) when the buckets can tell,
   * Infinity when more than they can count; `rows`: the source's rows in the range.
   */
  | { equal: false; estimate?: number; rows: number };

const linearCount = (differing: number) => HALF * Math.log(HALF / (HALF - differing));

/**
 * Settles a range that is likely equal by checksums of its row hashes, one scan a side (one bucket: one
 * row a side); when it is not equal, the counting buckets estimate how many rows differ, to size the sketch
 * or to go straight to a merge.
 */
export async function checksumChunk(run: DiffRun, range: KeyRange, buckets: number): Promise<Checksummed> {
  const query = checksumQuery(run.shape, range, buckets > 1 ? { half: HALF, sample: SAMPLE } : undefined);
  const [a, b] = await both(run, async (side) => {
    const rows = await side.run(query, { timeoutMs: run.timeoutMs, settings: SETUP });
    return new Map(rows.map(([bucket, ...sums]) => [bucket ?? '', sums.join('|')]));
  });
  const rows = [...a.values()].reduce((sum, sums) => sum + Number(sums.split('|')[0]), 0);
  let [all, sampled] = [0, 0];
  for (const bucket of new Set([...a.keys(), ...b.keys()]))
    if (a.get(bucket) !== b.get(bucket)) {
      if (Number(bucket) < HALF) all++;
      else sampled++;
    }
  if (all + sampled === 0) return { equal: true, rows };
  if (buckets <= 1) return { equal: false, rows };
  // Buckets are by key: a differing key is one or two IBLT elements.
  if (all < SATURATED) return { equal: false, rows, estimate: Math.ceil(2 * linearCount(all)) };
  if (sampled < SATURATED)
    return { equal: false, rows, estimate: Math.ceil(2 * Math.max(SATURATED, SAMPLE * linearCount(sampled))) };
  return { equal: false, rows, estimate: Infinity };
}
