import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CnbookFormatError, parseNotebook, printNotebook, type CodeCell } from '../../src/core/format';

const fixtures = path.resolve(__dirname, '../fixtures/format');
const read = (...parts: string[]) => fs.readFileSync(path.join(fixtures, ...parts), 'utf8');

describe('hand-written runbooks', () => {
  const valid = fs.readdirSync(path.join(fixtures, 'valid'));

  it.each(valid)('%s prints back byte-identical', (file) => {
    const text = read('valid', file);
    expect(printNotebook(parseNotebook(text))).toBe(text);
  });

  it('reads the minimal runbook of the issue', () => {
    const nb = parseNotebook(read('valid', 'minimal.cnbook'));
    expect(nb.frontMatter).toEqual({ cnbook: 1, title: 'Orders vs items' });
    expect(nb.cells.map((c) => [c.kind, c.source])).toEqual([
      ['markdown', '# Step 1'],
      ['code', '-- @on primary\nSELECT count(*) FROM orders;'],
    ]);
    expect((nb.cells[1] as CodeCell).language).toBe('sql');
    expect(nb.cells[1]?.layout?.sourceLine).toBe(7);
  });

  it('keeps fences that are not cells inside the Markdown', () => {
    const nb = parseNotebook(read('valid', 'fences-in-markdown.cnbook'));
    expect(nb.cells.map((c) => c.kind)).toEqual(['markdown', 'code']);
    expect(nb.cells[0]?.source).toContain("```sql\nSELECT 'not a cell';\n```");
    expect(nb.cells[0]?.source).toContain('```mermaid');
  });

  it('keeps unknown front matter fields and metadata keys, and survives an edit elsewhere', () => {
    const nb = parseNotebook(read('valid', 'unknown-fields.cnbook'));
    expect(nb.frontMatter).toMatchObject({
      incident: { id: 'INC-4711', severity: 'sev2' },
      'x-team-field': { nested: [1, 2, 3] },
    });
    expect(nb.cells[1]?.metadata).toEqual({ id: 'count', 'x-custom': { keep: true } });
    nb.cells[0]!.source = '# Step, renamed';
    const reread = parseNotebook(printNotebook(nb));
    expect(reread.frontMatter).toEqual(nb.frontMatter);
    expect(reread.cells[1]?.metadata).toEqual({ id: 'count', 'x-custom': { keep: true } });
    expect((reread.cells[2] as CodeCell).language).toBe('python');
  });

  it('restores outputs, execution summaries and Markdown cell metadata', () => {
    const nb = parseNotebook(read('valid', 'with-outputs.cnbook'));
    const cell = nb.cells[0] as CodeCell;
    expect(cell.execution).toEqual({
      executionOrder: 1,
      success: true,
      startTime: 1764040000000,
      endTime: 1764040000012,
    });
    expect(cell.outputs?.[0]?.items.map((i) => i.mime)).toEqual([
      'application/vnd.cnbook.result+json',
      'text/markdown',
    ]);
    expect(nb.cells[1]).toMatchObject({
      kind: 'markdown',
      source: 'A Markdown cell with metadata.',
      metadata: { tags: ['note'] },
    });
  });

  it('reads Windows line endings and writes them back', () => {
    const nb = parseNotebook(read('valid', 'crlf.cnbook'));
    expect(nb.cells[1]?.source).toBe('SELECT 1;');
    expect(nb.frontMatter.title).toBe('Written on Windows');
  });

  it('treats an empty file as an empty runbook and writes nothing extra back', () => {
    expect(printNotebook(parseNotebook(''))).toBe('');
    expect(parseNotebook('\n').cells).toEqual([]);
    const nb = parseNotebook('');
    nb.cells.push({ kind: 'markdown', source: '# New' });
    expect(printNotebook(nb)).toBe('---\ncnbook: 1\n---\n\n# New\n');
  });

  it('stores a large output and a thousand cells without trouble', () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const cells = Array.from({ length: 1000 }, (_, i) => ({
      kind: 'code' as const,
      language: 'sql',
      source: `SELECT ${i};`,
    }));
    const nb = {
      frontMatter: { cnbook: 1 },
      cells: [
        ...cells,
        {
          kind: 'code' as const,
          language: 'sql',
          source: 'SELECT big',
          outputs: [{ items: [{ mime: 'text/plain', text: big }] }],
        },
      ],
    };
    const back = parseNotebook(printNotebook(nb));
    expect(back.cells).toHaveLength(1001);
    expect((back.cells[1000] as CodeCell).outputs?.[0]?.items[0]?.text).toHaveLength(big.length);
  });
});

describe('malformed runbooks', () => {
  const expectations: Record<string, [number, RegExp]> = {
    'no-front-matter.cnbook': [
      1,
      /does not start with front matter; expected a line '---' opening the YAML front matter/,
    ],
    'unclosed-front-matter.cnbook': [1, /never closed; expected a line '---' closing it/],
    'yaml-error.cnbook': [3, /YAML error in the front matter: .*; expected valid YAML/],
    'not-a-mapping.cnbook': [2, /YAML mapping/],
    'missing-version.cnbook': [2, /expected 'cnbook: 1'/],
    'future-version.cnbook': [3, /newer cnbook \(format 99\)/],
    'version-not-number.cnbook': [2, /the format version is "one", not a whole number; expected 'cnbook: 1'/],
    'unclosed-sql.cnbook': [6, /unclosed code fence opened here; expected a closing ``` line/],
    'bad-info-json.cnbook': [6, /bad cell metadata JSON \(.*\); expected a JSON object of cell metadata after 'sql'/],
    'info-not-object.cnbook': [
      4,
      /the cell metadata is not a JSON object: '\[1, 2\]'; expected a JSON object of cell metadata after 'sql'/,
    ],
    'unclosed-outputs.cnbook': [7, /unclosed outputs block opened here; expected a line '<!-- \/cnbook:outputs -->'/],
    'bad-outputs-json.cnbook': [7, /bad JSON in the outputs comment/],
    'outputs-wrong-shape.cnbook': [7, /"text" or "base64"/],
    'outputs-without-cell.cnbook': [6, /no code cell right before it/],
    'wrapper-past-end.cnbook': [4, /announces 5 lines but only 2 follow/],
    'markdown-bad-metadata.cnbook': [4, /bad cell metadata JSON .*after 'cnbook:markdown'/],
  };

  it('has an expectation for every file of the corpus', () => {
    expect(fs.readdirSync(path.join(fixtures, 'malformed')).sort()).toEqual(Object.keys(expectations).sort());
  });

  it.each(Object.entries(expectations))('%s names line %i', (file, [line, message]) => {
    let error: unknown;
    try {
      parseNotebook(read('malformed', file));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CnbookFormatError);
    expect((error as CnbookFormatError).line).toBe(line);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(new RegExp(`^line ${line}: `));
  });
});
