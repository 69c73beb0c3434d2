import { compareCodePoints, compareDecimals } from '../probes/catalog/keyOrder';
import type { Column } from './schema';
import type { DiffCounts, KeyValues } from './types';

/** A row one side has and the other has not (or has otherwise): its key and row hash. */
export interface SideRow {
  side: 'source' | 'target';
  key: KeyValues;
  hash: string;
}

interface Pair {
  key: KeyValues;
  source?: string;
  target?: string;
}

const NUMERIC = /^(smallint|integer|bigint|numeric|real|double precision)\b/;

/**
 * Pairs the rows each side has alone, across chunks: a key on both sides is a changed row (or, with the
 * same hash, a row two servers put in different chunks because their collations disagree: no difference).
 * Memory is bounded by `maxKeys`; beyond it rows are counted, not kept.
 */
export class Differences {
  private readonly pairs = new Map<string, Pair>();
  private overflow: Omit<DiffCounts, 'sourceRows' | 'targetRows'> = {
    missingInTarget: 0,
    missingInSource: 0,
    changed: 0,
  };
  truncated = false;

  constructor(private readonly maxKeys: number) {}

  add(row: SideRow): void {
    const id = JSON.stringify(row.key);
    let pair = this.pairs.get(id);
    if (!pair) {
      if (this.pairs.size >= this.maxKeys) {
        this.truncated = true;
        this.overflow[row.side === 'source' ? 'missingInTarget' : 'missingInSource']++;
        return;
      }
      pair = { key: row.key };
      this.pairs.set(id, pair);
    }
    pair[row.side] = row.hash;
  }

  /** Kept rows plus those counted beyond the limit. */
  get size(): number {
    return this.pairs.size + this.overflow.missingInSource + this.overflow.missingInTarget;
  }

  classify(keys: readonly Column[]): {
    missingInTarget: KeyValues[];
    missingInSource: KeyValues[];
    changed: KeyValues[];
    counts: Omit<DiffCounts, 'sourceRows' | 'targetRows'>;
  } {
    const missingInTarget: KeyValues[] = [];
    const missingInSource: KeyValues[] = [];
    const changed: KeyValues[] = [];
    for (const pair of this.pairs.values()) {
      if (pair.source !== undefined && pair.target !== undefined) {
        if (pair.source !== pair.target) changed.push(pair.key);
      } else if (pair.source !== undefined) missingInTarget.push(pair.key);
      else missingInSource.push(pair.key);
    }
    const order = keyComparator(keys);
    [missingInTarget, missingInSource, changed].forEach((list) => list.sort(order));
    return {
      missingInTarget,
      missingInSource,
      changed,
      counts: {
        missingInTarget: missingInTarget.length + this.overflow.missingInTarget,
        missingInSource: missingInSource.length + this.overflow.missingInSource,
        changed: changed.length + this.overflow.changed,
      },
    };
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
