import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutNote, cutToUtf8Bytes, piecesOf, shownWithCut, utf8Length } from '../../src/core/sql/cutValue';
import { FetchBatchSizer } from '../../src/core/sql/fetchBatch';
import { compareRuns, type TargetRun } from '../../src/core/sql/payload';
import { renderResultMarkdown } from '../../src/core/sql/render';
import { hashedText, ResultBuilder } from '../../src/core/sql/resultBuilder';

const sha256 = () => {
  const hash = createHash('sha256');
  return { update: (text: string) => void hash.update(text), digest: () => hash.digest('hex') };
};
const hex = (text: string) => createHash('sha256').update(text).digest('hex');
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('cutting a value on a UTF-8 character boundary', () => {
  it('keeps whole characters of 1, 2, 3 and 4 bytes, never a part of one', () => {
    const text = 'aé€😀'; // 1 + 2 + 3 + 4 bytes
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => cutToUtf8Bytes(text, n))).toEqual([
      '',
      'a',
      'a',
      'aé',
      'aé',
      'aé',
      'aé€',
      'aé€',
      'aé€',
      'aé€',
      'aé€😀',
    ]);
  });

  it('gives the longest prefix that fits, for any text and any limit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.nat(200), (text, max) => {
        const kept = cutToUtf8Bytes(text, max);
        expect(text.startsWith(kept)).toBe(true);
        expect(utf8Length(kept)).toBeLessThanOrEqual(max);
        // One more character would not fit (or there is none): the cut is as long as it can be.
        const next = text.codePointAt(kept.length);
        if (next !== undefined)
          expect(utf8Length(text.slice(0, kept.length + (next > 0xffff ? 2 : 1)))).toBeGreaterThan(max);
        // Never half a surrogate pair, so the kept text encodes as a prefix of the full value's bytes.
        expect(Buffer.from(text, 'utf8').subarray(0, bytes(kept)).toString('utf8')).toBe(kept);
      }),
    );
  });

  it('counts UTF-8 bytes as an encoder writes them, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        expect(utf8Length(text)).toBe(bytes(text));
      }),
    );
    expect(utf8Length('\ud800x\udc00')).toBe(bytes('\ud800x\udc00'));
  });

  it('splits a text into pieces that never part a surrogate pair', () => {
    const text = '😀'.repeat(5);
    const pieces = [...piecesOf(text, 3)];
    expect(pieces.join('')).toBe(text);
    expect(pieces.every((p) => bytes(p) % 4 === 0)).toBe(true);
  });

  it('says what was cut, the same on every machine', () => {
    const cut = { row: 0, column: 0, length: 209_715_200, sha256: 'ab12cd34ef56'.padEnd(64, '0') };
    expect(cutNote(cut)).toBe('cut: 209,715,200 bytes, sha256 ab12cd34ef56…');
    expect(shownWithCut('xx', cut)).toBe('xx… (cut: 209,715,200 bytes, sha256 ab12cd34ef56…)');
    expect(shownWithCut('xx', undefined)).toBe('xx');
  });
});

describe('a result with long values', () => {
  const columns = [
    { name: 'v', type: 'text', typeOid: 25 },
    { name: 'n', type: 'int4', typeOid: 23 },
  ];

  it('stores long values cut with their full length and hash, and hashes the rows in full', () => {
    const wide = 'é'.repeat(600_000); // wider than one hash chunk, hashed in pieces
    const rows = [
      [wide, '1'],
      ['short', null],
      ['x'.repeat(11), '3'],
    ];
    const builder = new ResultBuilder(columns, 10, sha256(), { maxValueBytes: 10, newHasher: sha256 });
    builder.add(rows);
    const result = builder.finish('SELECT');
    expect(result.rows).toEqual([
      ['é'.repeat(5), '1'],
      ['short', null],
      ['x'.repeat(10), '3'],
    ]);
    expect(result.cutCells).toEqual([
      { row: 0, column: 0, length: 1_200_000, sha256: hex(wide) },
      { row: 2, column: 0, length: 11, sha256: hex('x'.repeat(11)) },
    ]);
    expect(result.hash).toBe(`sha256:${hex(hashedText(rows))}`);
  });

  it('has no cutCells when nothing is cut, as records before cutting', () => {
    const builder = new ResultBuilder(columns, 10, sha256(), { maxValueBytes: 10, newHasher: sha256 });
    builder.add([['short', '1']]);
    expect(Object.keys(builder.finish('SELECT'))).toEqual([
      'command',
      'columns',
      'rows',
      'rowCount',
      'truncated',
      'hash',
    ]);
  });
});

describe('sizing cursor reads by bytes', () => {
  it('starts small, grows for narrow rows and shrinks to the budget for wide ones', () => {
    const sizer = new FetchBatchSizer(5000, 4 * 1024 * 1024);
    expect(sizer.next()).toBe(16);
    sizer.observe([['1', 'a']]);
    expect(sizer.next()).toBe(256);
    sizer.observe([['1', 'a']]);
    expect(sizer.next()).toBe(4096);
    sizer.observe([['1', 'a']]);
    expect(sizer.next()).toBe(5000);
    sizer.observe([['1', 'x'.repeat(100_000)]]);
    expect(sizer.next()).toBe(41);
    sizer.observe([['x'.repeat(10 * 1024 * 1024)]]);
    expect(sizer.next()).toBe(1);
  });
});

describe('views and comparisons of a cut value', () => {
  const statement = (sha: string) => ({
    command: 'SELECT',
    columns: [{ name: 'v', type: 'text', typeOid: 25 }],
    rows: [['x'.repeat(10)]],
    rowCount: 1,
    truncated: false,
    hash: `sha256:${sha.repeat(64)}`,
    cutCells: [{ row: 0, column: 0, length: 209_715_200, sha256: sha.repeat(64) }],
  });
  const run = (connection: string, sha: string): TargetRun =>
    ({
      connection,
      provenance: { connection, host: 'h', port: 5432, database: 'd', user: 'u', startedAt: '', finishedAt: '' },
      statements: [statement(sha)],
    }) as unknown as TargetRun;

  it('marks as differing a row whose values agree only up to the cut', () => {
    const comparison = compareRuns([run('db1', 'a'), run('db2', 'b')])!;
    expect(comparison.agree).toBe(false);
    expect(comparison.differingRows).toEqual({ db1: [0], db2: [0] });
    expect(compareRuns([run('db1', 'a'), run('db2', 'a')])!.agree).toBe(true);
  });

  it('says in the Markdown view that the value is cut, with its length and hash', () => {
    const markdown = renderResultMarkdown({ version: 1, results: [run('db1', 'a')] });
    expect(markdown).toContain('| xxxxxxxxxx… (cut: 209,715,200 bytes, sha256 aaaaaaaaaaaa…) |');
  });
});
