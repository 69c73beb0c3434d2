/*
 * A strata estimator of the number of differences, built by the servers in the same scan as the IBLT:
 * a row falls in stratum L with probability 2^-L (from the leading bits of its hash) and in one of
 * STRATUM_CELLS cells there. The cells of both sides are compared here; in each stratum the number of
 * cells that differ gives, by linear counting, how many elements of that stratum differ.
 */

export const STRATUM_CELLS = 16;
// Beyond this many differing cells of 16 linear counting is too coarse: the stratum counts as saturated.
const SATURATED = 14;

/** A strata cell's content as the server sent it (count and XORs), compared as a whole. */
export type StrataCells = Map<string, string>;

export function strataKey(stratum: number, cell: number): string {
  return `${stratum}:${cell}`;
}

/** The server's stratum value `s` (floor(log2(x + 1)) of 32 hash bits) turned into a level L ≥ 1. */
export function levelOf(s: number): number {
  return Math.max(1, 32 - s);
}

/** Estimated number of elements in the symmetric difference of the two sides. */
export function estimateDifferences(source: StrataCells, target: StrataCells): number {
  const differing = new Map<number, number>();
  for (const key of new Set([...source.keys(), ...target.keys()])) {
    if (source.get(key) === target.get(key)) continue;
    const level = Number(key.slice(0, key.indexOf(':')));
    differing.set(level, (differing.get(level) ?? 0) + 1);
  }
  if (differing.size === 0) return 0;
  const levels = [...differing.keys()].sort((a, b) => b - a);
  let sum = 0;
  for (const level of levels) {
    const z = differing.get(level) ?? 0;
    // Elements at levels above `level` are a 2^-level sample of all of them.
    if (z >= SATURATED) return Math.ceil(sum * 2 ** level);
    sum += STRATUM_CELLS * Math.log(STRATUM_CELLS / (STRATUM_CELLS - z));
  }
  return Math.ceil(sum);
}
