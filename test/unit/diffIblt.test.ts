import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cellIndices, checkOf, decode, emptyTable, insert, subtableSize, subtract } from '../../src/core/diff/iblt';
import { estimateDifferences, levelOf, strataKey, STRATUM_CELLS, type StrataCells } from '../../src/core/diff/strata';

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
interface Row {
  key: bigint;
  hash: bigint;
}

function tableOf(rows: Row[], q: number) {
  const table = emptyTable(q, 1);
  for (const r of rows) insert(table, q, { words: [r.key], hash: r.hash });
  return table;
}

/** A deterministic 64-bit generator (splitmix64), so the decode-rate test is the same on every run. */
function splitmix(seed: bigint) {
  let state = seed;
  return () => {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return BigInt.asIntN(64, z ^ (z >> 31n));
  };
}

describe('IBLT', () => {
  it('cell indices fall one in each sub-table, and the check fits in a bigint', () => {
    fc.assert(
      fc.property(int64, fc.integer({ min: 1, max: 5000 }), (h, q) => {
        const [a, b, c] = cellIndices(h, q);
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThan(q);
        expect(b).toBeGreaterThanOrEqual(q);
        expect(b).toBeLessThan(2 * q);
        expect(c).toBeGreaterThanOrEqual(2 * q);
        expect(c).toBeLessThan(3 * q);
        expect(checkOf(h)).toBeLessThan(2n ** 62n);
        expect(checkOf(h)).toBeGreaterThanOrEqual(0n);
      }),
    );
  });

  it('what decodes is exactly the symmetric difference, with the side each element is on', () => {
    fc.assert(
      fc.property(
        // Row hashes are uniform 64-bit values (a cryptographic digest): unbiased, not fast-check's small ones,
        // which make a cell's purity check pass by coincidence (hashes 0, 1, -4) far more often than rows can.
        fc.uniqueArray(fc.record({ key: int64, hash: fc.noBias(int64) }), { selector: (r) => r.hash, maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.array(fc.record({ key: int64, hash: fc.noBias(int64) }), { maxLength: 20 }),
        (common, dropPicks, extra) => {
          const hashes = new Set(common.map((r) => r.hash));
          const added = extra.filter((r) => !hashes.has(r.hash) && (hashes.add(r.hash), true));
          const dropped = new Set(dropPicks.map((i) => common[i % Math.max(1, common.length)]?.hash));
          const source = common;
          const target = [...common.filter((r) => !dropped.has(r.hash)), ...added];
          const q = subtableSize(dropped.size + added.length);
          const decoded = decode(subtract(tableOf(source, q), tableOf(target, q)), q);
          if (!decoded.complete) return;
          const got = decoded.elements.map((e) => `${e.side}:${e.words[0]}:${e.hash}`).sort();
          const want = [
            ...source.filter((r) => dropped.has(r.hash)).map((r) => `1:${r.key}:${r.hash}`),
            ...added.map((r) => `-1:${r.key}:${r.hash}`),
          ].sort();
          expect(got).toEqual(want);
        },
      ),
    );
  });

  it('a table sized for d differences decodes them nearly always', () => {
    const next = splitmix(42n);
    let complete = 0;
    const runs = 60;
    for (let run = 0; run < runs; run++) {
      const d = 1 + (run % 30) * 15;
      const q = subtableSize(d);
      const table = emptyTable(q, 1);
      for (let i = 0; i < d; i++) insert(table, q, { words: [next()], hash: next() }, i % 2 === 0 ? 1 : -1);
      if (decode(table, q).complete) complete++;
    }
    expect(complete).toBeGreaterThanOrEqual(runs * 0.95);
  });

  it('equal sets subtract to nothing and decode to nothing', () => {
    const next = splitmix(7n);
    const rows = Array.from({ length: 1000 }, () => ({ key: next(), hash: next() }));
    const q = subtableSize(0);
    const decoded = decode(subtract(tableOf(rows, q), tableOf([...rows].reverse(), q)), q);
    expect(decoded).toEqual({ elements: [], complete: true });
  });
});

describe('strata estimator', () => {
  /** Strata cells as a server would build them: a row's level from the top 32 bits, its cell from bits 28-31. */
  function strataOf(hashes: bigint[]): StrataCells {
    const cells = new Map<string, bigint>();
    for (const h of hashes) {
      const s = Math.floor(Math.log2(Number((h >> 32n) & 0xffffffffn) + 1));
      const key = strataKey(levelOf(s), Number((h >> 28n) & BigInt(STRATUM_CELLS - 1)));
      cells.set(key, (cells.get(key) ?? 0n) ^ h);
    }
    return new Map([...cells].map(([k, v]) => [k, String(v)]));
  }

  it.each([0, 10, 100, 1000, 10_000])('estimates %i differences within a factor of two', (d) => {
    const next = splitmix(BigInt(d) + 1n);
    const common = Array.from({ length: 5000 }, () => next());
    const only = Array.from({ length: d }, () => next());
    const estimate = estimateDifferences(strataOf([...common, ...only]), strataOf(common));
    if (d === 0) expect(estimate).toBe(0);
    else {
      expect(estimate).toBeGreaterThanOrEqual(d / 2);
      expect(estimate).toBeLessThanOrEqual(d * 2);
    }
  });
});
