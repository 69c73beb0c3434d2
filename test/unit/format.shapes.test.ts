import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shapeValue, unshapeValue } from '../../src/core/format/shapes';

const roundTrip = (value: unknown) => {
  const shaped = shapeValue(value);
  if (!shaped) return value;
  const back = unshapeValue(shaped.shapes, JSON.parse(JSON.stringify(shaped.value)));
  if (typeof back === 'string') throw new Error(back);
  return back.value;
};

/** JSON values whose objects often share key lists and whose strings often look like shape marks. */
const repetitive = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('§', '§0', '§1', '§12', 'x', ''),
    fc.integer(),
    fc.constant(null),
    fc.boolean(),
    fc.array(tie('value')),
    fc
      .tuple(
        fc.constantFrom(['a', 'b'], ['b', 'a'], ['id', 'name', 'type'], ['7', 'k'], ['__proto__', 'x']),
        fc.array(tie('value'), { minLength: 3, maxLength: 3 }),
      )
      .map(([keys, values]) => Object.fromEntries(keys.map((k, i) => [k, values[i]]))),
  ),
})).value;

describe('shapes', () => {
  it('stores any JSON value so that it reads back exactly, key order included', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), repetitive), (value) => {
        expect(JSON.stringify(roundTrip(value))).toBe(JSON.stringify(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('stores a repeated key list once, and an array that looks like a shape with a mark in front', () => {
    const metrics = [
      { inRecovery: false, timeline: 1, upstream: null },
      { inRecovery: true, timeline: 1, upstream: '127.0.0.1:5432' },
      { inRecovery: true, timeline: 2, upstream: '127.0.0.1:5432' },
    ];
    const shaped = shapeValue({ metrics, rows: [['§0', 'a']] });
    expect(shaped).toEqual({
      shapes: [['inRecovery', 'timeline', 'upstream']],
      value: {
        metrics: [
          ['§0', false, 1, null],
          ['§0', true, 1, '127.0.0.1:5432'],
          ['§0', true, 2, '127.0.0.1:5432'],
        ],
        rows: [['§', '§0', 'a']],
      },
    });
    expect(JSON.stringify(shaped).length).toBeLessThan(JSON.stringify({ metrics, rows: [['§0', 'a']] }).length);
  });

  it('leaves alone key lists that would cost more than they save', () => {
    expect(shapeValue([{ a: 1 }, { a: 2 }, { a: 3 }])).toBeUndefined();
    expect(shapeValue({ only: { once: 1, here: 2 } })).toBeUndefined();
  });

  it('names what is wrong with a shaped value it cannot read', () => {
    expect(unshapeValue([['a', 'b']], ['§1', 1, 2])).toBe('"§1" names no shape (there are 1)');
    expect(unshapeValue([['a', 'b']], [['§0', 1]])).toBe('"§0" has 1 values for the 2 keys of its shape');
    expect(unshapeValue('x', 1)).toBe('"shapes" is not a list of key lists');
  });
});
