import { decode, subtableSize, subtract, emptyTable, SUBTABLES, type Cell, type Element } from './iblt';
import { IBLT_SETUP, ibltQuery, lookupQuery, wordCount, type KeyRange } from './queries';
import { both, type DiffRun } from './run';
import { estimateDifferences, levelOf, strataKey, type StrataCells } from './strata';
import type { ChunkDifferences, SideRow } from './differences';

// A chunk's IBLT must come back as one bounded result; beyond this many cells a hash merge is cheaper.
const MAX_CELLS = 9000;
// Past this share of a chunk's rows differing, per-row hashes cost fewer bytes than cells (~3 cells each).
export const MERGE_SHARE = 0.05;

export interface ChunkOutcome {
  differences: ChunkDifferences;
  sourceRows: number;
  targetRows: number;
}

interface Sketch {
  cells: Cell[];
  strata: StrataCells;
  rows: number;
}

function parseSketch(rows: (string | null)[][], q: number, words: number): Sketch {
  const cells = emptyTable(q, words);
  const strata: StrataCells = new Map();
  let count = 0;
  for (const row of rows) {
    const [a, b, c, s, sc, n, ...rest] = row;
    if (s !== null && s !== undefined) {
      strata.set(strataKey(levelOf(Number(s)), Number(sc)), `${n}|${rest.join('|')}`);
      continue;
    }
    const index = a !== null ? Number(a) : b !== null ? q + Number(b) : 2 * q + Number(c);
    if (a !== null) count += Number(n);
    cells[index] = {
      count: Number(n),
      words: rest.slice(0, words).map((w) => BigInt(w ?? '0')),
      hash: BigInt(rest[words] ?? '0'),
      check: BigInt(rest[words + 1] ?? '0'),
    };
  }
  return { cells, strata, rows: count };
}

/**
 * Compares a key range by IBLT, sized for `expected` differences; if it does not decode, once more with
 * the size the strata estimator gives. Undefined when the differences are too many: merge hashes instead.
 */
export async function ibltChunk(run: DiffRun, range: KeyRange, expected: number): Promise<ChunkOutcome | undefined> {
  const words = wordCount(run.shape);
  let q = subtableSize(expected);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (SUBTABLES * q > MAX_CELLS) return undefined;
    const query = ibltQuery(run.shape, range, q);
    const [a, b] = await both(run, async (side) =>
      parseSketch(await side.run(query, { timeoutMs: run.timeoutMs, settings: IBLT_SETUP }), q, words),
    );
    const decoded = decode(subtract(a.cells, b.cells), q);
    if (decoded.complete) {
      const differences = run.differences.forChunk();
      differences.pair(await keysOf(run, range, decoded.elements));
      return { differences, sourceRows: a.rows, targetRows: b.rows };
    }
    const estimate = estimateDifferences(a.strata, b.strata);
    if (estimate > MERGE_SHARE * Math.max(a.rows, b.rows)) return undefined;
    q = Math.max(subtableSize(1.5 * estimate), 2 * q);
  }
  return undefined;
}

/** Turns decoded elements into keys: integer keys are in the cells, hashed keys are looked up by hash. */
async function keysOf(run: DiffRun, range: KeyRange, elements: Element[]): Promise<SideRow[]> {
  const sideOf = (e: Element) => (e.side === 1 ? 'source' : 'target');
  if (run.shape.integerKeys)
    return elements.map((e) => ({ side: sideOf(e), key: e.words.map(String), hash: String(e.hash) }));
  const [fromSource, fromTarget] = await both(run, async (side, which) => {
    const wanted = elements.filter((e) => sideOf(e) === which);
    if (wanted.length === 0) return [];
    const hashes = new Set(wanted.map((e) => String(e.hash)));
    const rows = await side.run(
      lookupQuery(
        run.shape,
        range,
        wanted.map((e) => e.words[0] as bigint),
      ),
      { timeoutMs: run.timeoutMs, settings: IBLT_SETUP },
    );
    const n = run.shape.keys.length;
    return rows
      .filter((r) => hashes.has(r[n] ?? ''))
      .map((r) => ({ side: which, key: r.slice(0, n).map((v) => v ?? ''), hash: r[n] ?? '' }));
  });
  return [...fromSource, ...fromTarget];
}
