import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCodePoints, compareDecimals } from '../../src/core/probes/catalog/keyOrder';

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

describe('key order, as the server sorts keys', () => {
  it('orders text by code point, which is UTF-8 byte order (COLLATE "C")', () => {
    expect(compareCodePoints('\uFF5E', '😀')).toBe(-1); // UTF-16 units would say the opposite
    expect(compareCodePoints('a', 'B')).toBe(1);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(compareCodePoints(a, b)).toBe(Math.sign(utf8Order(a, b)));
      }),
      { numRuns: Number(process.env.CNBOOK_FC_RUNS ?? 2000) },
    );
  });

  it('orders decimal text by value, exactly, at any size', () => {
    expect(compareDecimals('9223372036854775807', '9223372036854775806')).toBe(1);
    expect(compareDecimals('-10', '-9')).toBe(-1);
    expect(compareDecimals('1.50', '1.5')).toBe(0);
    expect(compareDecimals('-0.0', '0')).toBe(0);
    expect(compareDecimals('-0.000010', '-0.00001')).toBe(0);
    expect(compareDecimals('12345678901234567890.000000000000000001', '12345678901234567890')).toBe(1);
    const decimal = fc
      .tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.nat({ max: 6 }))
      .map(([n, scale]) => {
        const digits = (n < 0n ? -n : n).toString().padStart(scale + 1, '0');
        const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
        return { text: n < 0n ? `-${text}` : text, value: n * 10n ** BigInt(6 - scale) };
      });
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        expect(compareDecimals(a.text, b.text)).toBe(a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
      }),
      { numRuns: Number(process.env.CNBOOK_FC_RUNS ?? 2000) },
    );
  });
});
