import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CnbookFormatError, InvalidUtf8Error, parseNotebookBytes, printNotebook } from '../../src/core/format';
import { decodeUtf8, firstInvalidUtf8 } from '../../src/core/format/utf8';

const bytesOf = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'utf8')] : p)));
const strict = (bytes: Uint8Array) => new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);

const RUNBOOK_HEAD = '---\ncnbook: 2\ntitle: t\n---\n\n```sql\n';

describe('invalid UTF-8: the first invalid sequence, where it is and what it is', () => {
  // [case, bytes after 'ab\ncd' (line 2, column 3, offset 5), bytes shown, next byte, problem]
  const cases: [string, number[], number[], number | null | undefined, string][] = [
    ['a lone continuation byte', [0x80, 0x41], [0x80], undefined, 'stray-continuation'],
    ['a 2-byte sequence cut short by ASCII', [0xc3, 0x41], [0xc3], 0x41, 'cut-short'],
    ['a 3-byte sequence cut short by a newline', [0xe2, 0x82, 0x0a], [0xe2, 0x82], 0x0a, 'cut-short'],
    ['a 4-byte sequence cut short by the end of the file', [0xf0, 0x9f, 0x98], [0xf0, 0x9f, 0x98], null, 'cut-short'],
    ['a 4-byte sequence cut short by a new lead byte', [0xf0, 0x9f, 0xc3, 0xa9], [0xf0, 0x9f], 0xc3, 'cut-short'],
    ['an overlong 2-byte "/"', [0xc0, 0xaf], [0xc0], undefined, 'overlong'],
    ['an overlong 3-byte "/"', [0xe0, 0x80, 0xaf], [0xe0, 0x80], undefined, 'overlong'],
    ['an overlong 4-byte "/"', [0xf0, 0x80, 0x80, 0xaf], [0xf0, 0x80], undefined, 'overlong'],
    ['the surrogate U+D800 encoded', [0xed, 0xa0, 0x80], [0xed, 0xa0], undefined, 'surrogate'],
    ['U+110000', [0xf4, 0x90, 0x80, 0x80], [0xf4, 0x90], undefined, 'above-max'],
    ['the byte F5', [0xf5, 0x80, 0x80, 0x80], [0xf5], undefined, 'above-max'],
    ['the byte FF', [0xff], [0xff], undefined, 'never-in-utf8'],
  ];

  it.each(cases)('%s', (_name, bad, shown, next, problem) => {
    const bytes = bytesOf('ab\ncd', bad, next === null ? '' : 'tail\n');
    const invalid = firstInvalidUtf8(bytes);
    expect(invalid).toEqual({
      offset: 5,
      line: 2,
      column: 3,
      bytes: shown,
      problem,
      ...(next === undefined ? {} : { next }),
    });
    expect(() => strict(bytes)).toThrow();
  });

  it('counts columns in characters and offsets in bytes, after multi-byte characters and past a BOM', () => {
    const line3 = bytesOf([0xef, 0xbb, 0xbf], 'x\n\u00e9\u20ac\n\u00e9\u20ac\u{1f600}', [0x80]);
    expect(firstInvalidUtf8(line3)).toMatchObject({ line: 3, column: 4, offset: 3 + 2 + 6 + 9 });
    expect(firstInvalidUtf8(bytesOf([0xef, 0xbb, 0xbf, 0x80]))).toMatchObject({ line: 1, column: 1, offset: 3 });
  });

  it('agrees with a fatal TextDecoder on any bytes, and names the first invalid sequence', () => {
    const byte = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(0x0a, 0x80, 0xbf, 0xc2, 0xe0, 0xed, 0xf0, 0xf4),
    );
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 24 }), (list) => {
        const bytes = Uint8Array.from(list);
        const invalid = firstInvalidUtf8(bytes);
        let decoded: string | undefined;
        try {
          decoded = strict(bytes);
        } catch {
          decoded = undefined;
        }
        expect(invalid === undefined).toBe(decoded !== undefined);
        if (decoded !== undefined) expect(decodeUtf8(bytes)).toBe(decoded);
        if (!invalid) return;
        const before = bytes.subarray(0, invalid.offset);
        const text = strict(before).replace(/^\uFEFF/, '');
        const lines = text.split('\n');
        expect(invalid.line).toBe(lines.length);
        expect(invalid.column).toBe([...lines.at(-1)!].length + 1);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('a runbook that is not UTF-8', () => {
  it('is refused with the line, column, byte offset and bytes, as a format error', () => {
    const bytes = bytesOf(RUNBOOK_HEAD, 'SELECT \u00e9', [0xe2, 0x82], "'\n```\n");
    let error: unknown;
    try {
      parseNotebookBytes(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidUtf8Error);
    expect(error).toBeInstanceOf(CnbookFormatError);
    const offset = Buffer.byteLength(`${RUNBOOK_HEAD}SELECT \u00e9`);
    expect((error as InvalidUtf8Error).invalid).toMatchObject({ line: 7, column: 9, offset });
    expect((error as Error).message).toBe(
      `line 7: column 9 (byte offset ${offset}) is not UTF-8: ` +
        'e2 82 starts a 3-byte sequence cut short by the byte 27; ' +
        'cnbook opens only UTF-8 text, so that saving keeps every byte',
    );
  });

  it('with a BOM is read and printed back byte for byte', () => {
    const bytes = bytesOf([0xef, 0xbb, 0xbf], RUNBOOK_HEAD, 'SELECT 1\n```\n');
    const notebook = parseNotebookBytes(bytes);
    expect(notebook.cells[0]?.source).toBe('SELECT 1');
    expect(Buffer.from(printNotebook(notebook), 'utf8').equals(Buffer.from(bytes))).toBe(true);
  });
});
