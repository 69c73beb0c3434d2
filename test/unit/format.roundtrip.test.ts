import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNotebook, printNotebook, sameNotebook, stripLayout, type Notebook } from '../../src/core/format';
import { CnbookFormatError } from '../../src/core/format/errors';
import { handWrittenFile, notebook, text } from './format.arbitraries';

/** A Markdown cell with a line that is text in version 1 and opens a marker over lines in version 2. */
const holdsVersion2Marker = (cell: Notebook['cells'][number]) =>
  cell.kind === 'markdown' && /^<!-- cnbook:markdown( lines=\d+)?$/m.test(cell.source);

const runs = { numRuns: Number(process.env.CNBOOK_FC_RUNS ?? 400) };
// Properties are CPU-bound and the machine is shared: a generous limit, never a timing assertion.
const slow = { timeout: 120_000 };

/** Lines of `file` up to the edited cell, and after it, as its own prefix notebooks print them. */
function unchangedAround(read: Notebook, index: number, file: string): { before: number; after: number } {
  const linesThrough = (count: number) =>
    printNotebook(
      {
        ...read,
        cells: read.cells.slice(0, count),
        layout: { ...read.layout, blankLinesAtEnd: 0, finalNewline: false },
      },
      { version: 2 },
    ).split('\n').length;
  const before = linesThrough(index) + (read.cells[index]!.layout?.blankLinesBefore ?? 1);
  return { before, after: file.split('\n').length - linesThrough(index + 1) };
}

describe.each([1, 2] as const)('the .cnbook format version %i, over generated notebooks', (version) => {
  it('is lossless: parse(print(nb)) means nb', slow, () => {
    fc.assert(
      fc.property(notebook, (nb) => {
        const back = parseNotebook(printNotebook(nb, { version }));
        expect(back.frontMatter.cnbook).toBe(version);
        expect(stripLayout(back)).toEqual(stripLayout(nb));
      }),
      runs,
    );
  });

  it('is byte-stable: printing what was read gives the same bytes, in the version read', slow, () => {
    fc.assert(
      fc.property(notebook, (nb) => {
        const once = printNotebook(nb, { version });
        expect(printNotebook(parseNotebook(once))).toBe(once);
      }),
      runs,
    );
  });

  it('prints any file it can read back to the same bytes', slow, () => {
    let accepted = 0;
    fc.assert(
      fc.property(handWrittenFile(version), (file) => {
        let read;
        try {
          read = parseNotebook(file);
        } catch (error) {
          expect(error).toBeInstanceOf(CnbookFormatError);
          return;
        }
        accepted++;
        expect(printNotebook(read)).toBe(file);
      }),
      { numRuns: Number(process.env.CNBOOK_FC_RUNS ?? 1000) },
    );
    // Most generated files are readable, so the property is about files, not about errors.
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('the .cnbook format, edited', () => {
  it("changes only the edited cell's lines of a version 2 file", slow, () => {
    fc.assert(
      fc.property(
        notebook.filter((nb) => nb.cells.length > 0),
        fc.nat(),
        text,
        (nb, pick, newSource) => {
          const original = printNotebook(nb);
          const read = parseNotebook(original);
          const index = pick % read.cells.length;
          const { before, after } = unchangedAround(read, index, original);
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

  it('writes an edited version 1 file as version 2, the same as editing its version 2 upgrade', slow, () => {
    fc.assert(
      fc.property(
        notebook.filter((nb) => nb.cells.length > 0),
        fc.nat(),
        text,
        (nb, pick, newSource) => {
          // Unless the upgrade had to wrap a cell (see below), whose wrapper the edited upgrade then keeps.
          fc.pre(!nb.cells.some(holdsVersion2Marker));
          const read = parseNotebook(printNotebook(nb, { version: 1 }));
          const upgraded = parseNotebook(printNotebook(read, { version: 2 }));
          const index = pick % read.cells.length;
          const unchanged = read.cells[index]!.source === newSource;
          read.cells[index]!.source = newSource;
          upgraded.cells[index]!.source = newSource;
          const edited = printNotebook(read);
          expect(parseNotebook(edited).frontMatter.cnbook).toBe(unchanged ? 1 : 2);
          if (!unchanged) expect(edited).toBe(printNotebook(upgraded));
          expect(sameNotebook(parseNotebook(edited), read)).toBe(true);
        },
      ),
      runs,
    );
  });

  it('moves a version 1 file without outputs to version 2 by rewriting only its version line', slow, () => {
    fc.assert(
      fc.property(notebook, (nb) => {
        // Such a line is text in version 1 and opens a marker over lines in version 2: that cell gets a wrapper.
        fc.pre(!nb.cells.some(holdsVersion2Marker));
        const cells = nb.cells.map((cell) =>
          cell.kind === 'code' ? { kind: cell.kind, language: cell.language, source: cell.source } : cell,
        );
        const v1 = printNotebook({ ...nb, cells }, { version: 1 });
        const v2 = printNotebook(parseNotebook(v1), { version: 2 }).split('\n');
        const changed = v1.split('\n').flatMap((line, i) => (line === v2[i] ? [] : [[line, v2[i]]]));
        expect(v2.length).toBe(v1.split('\n').length);
        expect(changed).toHaveLength(1);
        expect(changed[0]![0]).toMatch(/^"?cnbook"?: 1$/);
        expect(changed[0]![1]).toBe(changed[0]![0]!.replace('1', '2'));
      }),
      runs,
    );
  });
});

describe('the .cnbook format, at its edges', () => {
  it('keeps a code cell a code cell when its metadata holds U+2028 or U+2029', () => {
    const nb = {
      frontMatter: { cnbook: 2, note: 'a\u2028b' },
      cells: [
        { kind: 'code' as const, language: 'sql', source: 'SELECT 1', metadata: { a: '\u2028', b: 'x\u2029' } },
        { kind: 'markdown' as const, source: 'hi', metadata: { c: '\u2029' } },
      ],
    };
    for (const version of [1, 2] as const) {
      const file = printNotebook(nb, { version });
      expect(file).not.toMatch(/[\u2028\u2029]/);
      const back = parseNotebook(file);
      expect(back.cells.map((cell) => cell.kind)).toEqual(['code', 'markdown']);
      expect(stripLayout(back)).toEqual(stripLayout(nb));
    }
  });

  it('reads and writes a 300,000-line cell without running out of stack', slow, () => {
    const source = Array.from({ length: 300_000 }, (_, i) => (i % 1000 === 0 ? '```' : `SELECT ${i};`)).join('\n');
    const file = printNotebook({ frontMatter: { cnbook: 2 }, cells: [{ kind: 'code', language: 'sql', source }] });
    const back = parseNotebook(file);
    expect(back.cells).toHaveLength(1);
    expect(back.cells[0]!.source).toBe(source);
    expect(printNotebook(back)).toBe(file);
  });
});

describe('the .cnbook format version 2, moving a version 1 file', () => {
  it('wraps a Markdown cell holding a line that version 2 reads as a marker over lines', () => {
    const v1 = '---\ncnbook: 1\n---\n# Notes\n<!-- cnbook:markdown\n';
    const nb = parseNotebook(v1);
    expect(nb.cells).toHaveLength(1);
    const v2 = printNotebook(nb, { version: 2 });
    expect(v2).toBe('---\ncnbook: 2\n---\n<!-- cnbook:markdown lines=2 -->\n# Notes\n<!-- cnbook:markdown\n');
    expect(sameNotebook(parseNotebook(v2), nb)).toBe(true);
  });
});
