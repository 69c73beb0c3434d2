import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNotebook, printNotebook, sameNotebook, stripLayout } from '../../src/core/format';
import { notebook, text } from './format.arbitraries';

const runs = { numRuns: 400 };

describe('the .cnbook format, over generated notebooks', () => {
  it('is lossless: parse(print(nb)) means nb', () => {
    fc.assert(fc.property(notebook, (nb) => {
      const back = parseNotebook(printNotebook(nb));
      expect(stripLayout(back)).toEqual(stripLayout(nb));
    }), runs);
  });

  it('is byte-stable: printing what was read gives the same bytes', () => {
    fc.assert(fc.property(notebook, (nb) => {
      const once = printNotebook(nb);
      expect(printNotebook(parseNotebook(once))).toBe(once);
    }), runs);
  });

  it("changes only the edited cell's lines", () => {
    fc.assert(fc.property(notebook.filter((nb) => nb.cells.length > 0), fc.nat(), text, (nb, pick, newSource) => {
      const original = printNotebook(nb);
      const read = parseNotebook(original);
      const index = pick % read.cells.length;
      // Lines up to the edited cell, and up to its end, as the original printed them.
      const linesThrough = (count: number) =>
        printNotebook({ ...read, cells: read.cells.slice(0, count), layout: { ...read.layout, blankLinesAtEnd: 0, finalNewline: false } }).split('\n').length;
      const before = linesThrough(index) + (read.cells[index]!.layout?.blankLinesBefore ?? 1);
      const after = original.split('\n').length - linesThrough(index + 1);
      read.cells[index]!.source = newSource;
      const edited = printNotebook(read);
      const a = original.split('\n');
      const b = edited.split('\n');
      expect(b.slice(0, before)).toEqual(a.slice(0, before));
      expect(b.slice(b.length - after)).toEqual(a.slice(a.length - after));
      expect(sameNotebook(parseNotebook(edited), read)).toBe(true);
    }), runs);
  });
});
