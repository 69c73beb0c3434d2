import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNotebook, printNotebook, sameNotebook, stripLayout } from '../../src/core/format';
import { CnbookFormatError } from '../../src/core/format/errors';
import { handWrittenFile, notebook, text } from './format.arbitraries';

const runs = { numRuns: Number(process.env.CNBOOK_FC_RUNS ?? 400) };

describe('the .cnbook format, over generated notebooks', () => {
  it('is lossless: parse(print(nb)) means nb', () => {
    fc.assert(
      fc.property(notebook, (nb) => {
        const back = parseNotebook(printNotebook(nb));
        expect(stripLayout(back)).toEqual(stripLayout(nb));
      }),
      runs,
    );
  });

  it('is byte-stable: printing what was read gives the same bytes', () => {
    fc.assert(
      fc.property(notebook, (nb) => {
        const once = printNotebook(nb);
        expect(printNotebook(parseNotebook(once))).toBe(once);
      }),
      runs,
    );
  });

  it('prints any file it can read back to the same bytes', () => {
    fc.assert(
      fc.property(handWrittenFile, (file) => {
        let read;
        try {
          read = parseNotebook(file);
        } catch (error) {
          expect(error).toBeInstanceOf(CnbookFormatError);
          return;
        }
        expect(printNotebook(read)).toBe(file);
      }),
      { numRuns: Number(process.env.CNBOOK_FC_RUNS ?? 1000) },
    );
  });

  it("changes only the edited cell's lines", () => {
    fc.assert(
      fc.property(
        notebook.filter((nb) => nb.cells.length > 0),
        fc.nat(),
        text,
        (nb, pick, newSource) => {
          const original = printNotebook(nb);
          const read = parseNotebook(original);
          const index = pick % read.cells.length;
          // Lines up to the edited cell, and up to its end, as the original printed them.
          const linesThrough = (count: number) =>
            printNotebook({
              ...read,
              cells: read.cells.slice(0, count),
              layout: { ...read.layout, blankLinesAtEnd: 0, finalNewline: false },
            }).split('\n').length;
          const before = linesThrough(index) + (read.cells[index]!.layout?.blankLinesBefore ?? 1);
          const after = original.split('\n').length - linesThrough(index + 1);
          read.cells[index]!.source = newSource;
          const edited = printNotebook(read);
          const a = original.split('\n');
          const b = edited.split('\n');
          expect(b.slice(0, before)).toEqual(a.slice(0, before));
          expect(b.slice(b.length - after)).toEqual(a.slice(a.length - after));
          expect(sameNotebook(parseNotebook(edited), read)).toBe(true);
        },
      ),
      runs,
    );
  });
});

describe('the .cnbook format, at its edges', () => {
  it('keeps a code cell a code cell when its metadata holds U+2028 or U+2029', () => {
    const nb = {
      frontMatter: { cnbook: 1, note: 'a\u2028b' },
      cells: [
        { kind: 'code' as const, language: 'sql', source: 'SELECT 1', metadata: { a: '\u2028', b: 'x\u2029' } },
        { kind: 'markdown' as const, source: 'hi', metadata: { c: '\u2029' } },
      ],
    };
    const file = printNotebook(nb);
    expect(file).not.toMatch(/[\u2028\u2029]/);
    const back = parseNotebook(file);
    expect(back.cells.map((cell) => cell.kind)).toEqual(['code', 'markdown']);
    expect(stripLayout(back)).toEqual(stripLayout(nb));
  });

  it('reads and writes a 300,000-line cell without running out of stack', () => {
    const source = Array.from({ length: 300_000 }, (_, i) => (i % 1000 === 0 ? '```' : `SELECT ${i};`)).join('\n');
    const file = printNotebook({ frontMatter: { cnbook: 1 }, cells: [{ kind: 'code', language: 'sql', source }] });
    const back = parseNotebook(file);
    expect(back.cells).toHaveLength(1);
    expect(back.cells[0]!.source).toBe(source);
    expect(printNotebook(back)).toBe(file);
  });
});
