/*
 * An invertible Bloom lookup table (Eppstein, Goodrich, Uyeda, Varghese, SIGCOMM 2011), built by the
 * servers in SQL and subtracted and decoded here. Each element is one row: its key words (the integer
 * key columns themselves, or a 64-bit hash of the key) and a 64-bit hash `h` of the whole row. Everything
 * below mirrors the SQL of queries.ts bit for bit, in PostgreSQL's signed 64-bit arithmetic.
 */

/** Cells are split in three sub-tables; an element lands in one cell of each. */
export const SUBTABLES = 3;
const INDEX_BITS = 20n;
const INDEX_MASK = (1n << INDEX_BITS) - 1n;
const LOW31 = 2147483647n;

export interface Cell {
  count: number;
  words: bigint[];
  hash: bigint;
  check: bigint;
}

export interface Element {
  /** +1: on the source only; -1: on the target only. */
  side: 1 | -1;
  words: bigint[];
  hash: bigint;
}

/** The cell of each sub-table (global indices) an element with row hash `h` lands in. */
export function cellIndices(h: bigint, q: number): number[] {
  const size = BigInt(q);
  return Array.from(
    { length: SUBTABLES },
    (_, j) => j * q + Number(((h >> (INDEX_BITS * BigInt(j))) & INDEX_MASK) % size),
  );
}

/** A non-linear function of the row hash: XOR keeps a cell's hash, so purity needs something XOR does not. */
export function checkOf(h: bigint): bigint {
  return (h & LOW31) * ((h >> 32n) & LOW31);
}

export function emptyCell(words: number): Cell {
  return { count: 0, words: new Array<bigint>(words).fill(0n), hash: 0n, check: 0n };
}

export function emptyTable(q: number, words: number): Cell[] {
  return Array.from({ length: SUBTABLES * q }, () => emptyCell(words));
}

/** Adds one row to a table (countDelta 1), as the server's aggregates would; -1 takes it out again. */
export function insert(table: Cell[], q: number, element: Pick<Element, 'words' | 'hash'>, countDelta = 1): void {
  for (const index of cellIndices(element.hash, q)) {
    const cell = table[index] as Cell;
    cell.count += countDelta;
    element.words.forEach((w, i) => (cell.words[i] = (cell.words[i] as bigint) ^ w));
    cell.hash ^= element.hash;
    cell.check ^= checkOf(element.hash);
  }
}

/** source - target, cell by cell: what remains are the elements of one side and not the other. */
export function subtract(source: Cell[], target: Cell[]): Cell[] {
  return source.map((a, i) => {
    const b = target[i] as Cell;
    return {
      count: a.count - b.count,
      words: a.words.map((w, j) => w ^ (b.words[j] as bigint)),
      hash: a.hash ^ b.hash,
      check: a.check ^ b.check,
    };
  });
}

function isZero(cell: Cell): boolean {
  return cell.count === 0 && cell.hash === 0n && cell.check === 0n && cell.words.every((w) => w === 0n);
}

function isPure(cell: Cell, index: number, q: number): boolean {
  return (
    (cell.count === 1 || cell.count === -1) &&
    cell.check === checkOf(cell.hash) &&
    cellIndices(cell.hash, q).includes(index)
  );
}

export interface Decoded {
  elements: Element[];
  /** False when the table was too small for the differences: some cells could not be peeled. */
  complete: boolean;
}

/** Peels pure cells until none is left; decodes completely when the table was big enough. */
export function decode(difference: Cell[], q: number): Decoded {
  const table = difference.map((c) => ({ ...c, words: [...c.words] }));
  const elements: Element[] = [];
  const queue = table.map((_, i) => i);
  while (queue.length > 0) {
    const index = queue.pop() as number;
    const cell = table[index] as Cell;
    if (!isPure(cell, index, q)) continue;
    // A table holds fewer elements than cells; more means a cell only looked pure: give up, not loop.
    if (elements.length >= table.length) return { elements, complete: false };
    const element: Element = { side: cell.count as 1 | -1, words: [...cell.words], hash: cell.hash };
    elements.push(element);
    insert(table, q, element, -element.side);
    queue.push(...cellIndices(element.hash, q));
  }
  return { elements, complete: table.every(isZero) };
}

/** Cells for an expected number of differences: 3 hashes decode reliably above ~1.23 cells per element. */
export function subtableSize(expectedDifferences: number): number {
  const cells = Math.ceil(2 * expectedDifferences + 30);
  return Math.ceil(cells / SUBTABLES);
}
