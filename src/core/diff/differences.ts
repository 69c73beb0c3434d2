import { compareCodePoints, compareDecimals } from '../probes/catalog/keyOrder';
import type { Column } from './schema';
import type { KeyValues } from './types';

/** A row one side has and the other has not (or has otherwise): its key and row hash. */
export interface SideRow {
  side: 'source' | 'target';
  key: KeyValues;
  hash: string;
}

/** How many keys differ in each class, kept or not. */
export interface DifferenceCounts {
  missingInTarget: number;
  missingInSource: number;
  changed: number;
}

const NUMERIC = /^(smallint|integer|bigint|numeric|real|double precision)\b/;

const classOf = (side: SideRow['side']) => (side === 'source' ? 'missingInTarget' : 'missingInSource');
const zero = (): DifferenceCounts => ({ missingInTarget: 0, missingInSource: 0, changed: 0 });

/**
 * The differences of one chunk, where both sides' rows of a key range are at hand: a changed row arrives
 * paired (`changed`), a row of one side alone as a `SideRow`. Every class is counted; keys are kept up to
 * `maxKeys`, so a chunk where everything differs holds no more than the whole diff may.
 */
export class ChunkDifferences {
  readonly counts = zero();
  readonly changedKeys: KeyValues[] = [];
  readonly oneSided: SideRow[] = [];
  /** One-sided rows counted but not kept: they cannot meet their other side in a later chunk. */
  oneSidedDropped = false;

  constructor(readonly maxKeys: number) {}

  changed(key: KeyValues): void {
    this.counts.changed++;
    if (this.kept < this.maxKeys) this.changedKeys.push(key);
  }

  only(row: SideRow): void {
    this.counts[classOf(row.side)]++;
    if (this.kept < this.maxKeys) this.oneSided.push(row);
    else this.oneSidedDropped = true;
  }

  /** Rows of both sides in any order (decoded from an IBLT): a key on both sides is a changed row. */
  pair(rows: readonly SideRow[]): void {
    const bySide = new Map<string, SideRow>();
    for (const row of rows) {
      const id = JSON.stringify(row.key);
      const other = bySide.get(id);
      if (!other) bySide.set(id, row);
      // A key twice on one side (a target without the unique index): each counts on its own.
      else if (other.side === row.side) this.only(row);
      else {
        bySide.delete(id);
        if (other.hash !== row.hash) this.changed(row.key);
      }
    }
    bySide.forEach((row) => this.only(row));
  }

  private get kept(): number {
    return this.changedKeys.length + this.oneSided.length;
  }
}

/**
 * The differences of the whole diff. Changed rows are paired within their chunk; a row one chunk saw on one
 * side only waits here for its other side, which a later chunk brings when the two servers order the key
 * differently (collations that disagree). Counts are exact for every class; keys are kept up to `maxKeys`.
 */
export class Differences {
  private readonly counts = zero();
  private readonly unpaired = new Map<string, SideRow>();
  private readonly changedKeys: KeyValues[] = [];
  /** A one-sided row was counted without its key: it could not be paired with a later chunk's. */
  oneSidedDropped = false;

  constructor(readonly maxKeys: number) {}

  /** A fresh collector for one chunk, with the same limit. */
  forChunk(): ChunkDifferences {
    return new ChunkDifferences(this.maxKeys);
  }

  /** Takes in a chunk that completed (a chunk retried after a timeout is never absorbed). */
  absorb(chunk: ChunkDifferences): void {
    const keptOneSided = { missingInTarget: 0, missingInSource: 0 };
    for (const row of chunk.oneSided) keptOneSided[classOf(row.side)]++;
    this.counts.changed += chunk.counts.changed;
    for (const key of chunk.changedKeys) this.keepChanged(key);
    chunk.oneSided.forEach((row) => this.addOneSided(row));
    this.counts.missingInTarget += chunk.counts.missingInTarget - keptOneSided.missingInTarget;
    this.counts.missingInSource += chunk.counts.missingInSource - keptOneSided.missingInSource;
    if (chunk.oneSidedDropped) this.oneSidedDropped = true;
  }

  private addOneSided(row: SideRow): void {
    const id = JSON.stringify(row.key);
    const other = this.unpaired.get(id);
    if (other && other.side !== row.side) {
      this.unpaired.delete(id);
      this.counts[classOf(other.side)]--;
      // The same hash: one row two servers put in different chunks, no difference.
      if (other.hash !== row.hash) {
        this.counts.changed++;
        this.keepChanged(row.key);
      }
      return;
    }
    this.counts[classOf(row.side)]++;
    if (this.kept < this.maxKeys) this.unpaired.set(id, row);
    else this.oneSidedDropped = true;
  }

  private keepChanged(key: KeyValues): void {
    if (this.kept < this.maxKeys) this.changedKeys.push(key);
  }

  private get kept(): number {
    return this.unpaired.size + this.changedKeys.length;
  }

  /** Differing keys found (kept or not). */
  get total(): number {
    return this.counts.missingInTarget + this.counts.missingInSource + this.counts.changed;
  }

  /** IBLT elements they stand for: a changed row is one element on each side. */
  get elements(): number {
    return this.counts.missingInTarget + this.counts.missingInSource + 2 * this.counts.changed;
  }

  classify(keys: readonly Column[]): {
    missingInTarget: KeyValues[];
    missingInSource: KeyValues[];
    changed: KeyValues[];
    counts: DifferenceCounts;
  } {
    const missingInTarget: KeyValues[] = [];
    const missingInSource: KeyValues[] = [];
    for (const row of this.unpaired.values()) (row.side === 'source' ? missingInTarget : missingInSource).push(row.key);
    const changed = [...this.changedKeys];
    const order = keyComparator(keys);
    [missingInTarget, missingInSource, changed].forEach((list) => list.sort(order));
    return { missingInTarget, missingInSource, changed, counts: { ...this.counts } };
  }
}

/** Keys in order: numbers by value, everything else by its text in code point (UTF-8 byte) order. */
export function keyComparator(keys: readonly Column[]): (x: KeyValues, y: KeyValues) => number {
  const compares = keys.map((k) => (NUMERIC.test(k.type) ? compareDecimals : compareCodePoints));
  return (x, y) => {
    for (let i = 0; i < compares.length; i++) {
      const c = (compares[i] as (a: string, b: string) => number)(x[i] ?? '', y[i] ?? '');
      if (c !== 0) return c;
    }
    return 0;
  };
}
