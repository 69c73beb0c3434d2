import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CnbookFormatError,
  parseNotebook,
  printNotebook,
  sameNotebook,
  stripLayout,
  type CodeCell,
} from '../../src/core/format';

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

  it('reads compact payloads and a marker over lines written by hand (version 2)', () => {
    const nb = parseNotebook(read('valid', 'v2-hand-written-compact.cnbook'));
    const [sql, note] = [nb.cells[1] as CodeCell, nb.cells[2]!];
    const results = JSON.parse(sql.outputs![0]!.items[0]!.text!).results;
    expect(results.map((run: { provenance: unknown }) => run.provenance)).toEqual([
      {
        connection: 'db1',
        host: 'h',
        startedAt: '2026-01-01T00:00:00.000Z',
        finishedAt: '2026-01-01T00:00:00.250Z',
        durationMs: 250,
        rowCount: 1,
      },
      {
        connection: 'db2',
        host: 'h',
        startedAt: '2026-01-01T00:00:00.000Z',
        finishedAt: '2026-01-01T00:00:00.100Z',
        durationMs: 100,
        rowCount: 7,
      },
    ]);
    expect(JSON.parse(sql.outputs![1]!.items[0]!.text!).findings).toEqual([
      {
        probe: 'sql-check',
        target: 'db1',
        severity: 'critical',
        summary: 'cell 1: expected no rows, got 1',
        metrics: { rows: 1 },
        evidence: [{ one: '1' }],
      },
      { probe: 'sql-check', target: 'db2', severity: 'unknown', summary: 'cell 1: the query failed', metrics: {} },
      { probe: 'sql-check', target: 'db3', severity: 'ok', note: 'an object is a finding as it is', metrics: {} },
    ]);
    expect(note.metadata).toEqual({ cnbook: 'note', entries: [1, 2, 3] });
    expect(note.source).toBe('A note with its metadata over lines.');
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
    const saved = printNotebook(nb);
    const reread = parseNotebook(saved);
    // Saved with a change, the file moves to version 2 and keeps its front matter as written otherwise.
    expect(reread.frontMatter).toEqual({ ...nb.frontMatter, cnbook: 2 });
    expect(saved).toContain(
      'cnbook: 2\n# A comment the author wrote; kept as written.\ntitle: "Unknown fields survive"\n',
    );
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
    expect(printNotebook(nb)).toBe('---\ncnbook: 2\n---\n\n# New\n');
  });

  it('stores a large output and a thousand cells without trouble', () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const cells = Array.from({ length: 1000 }, (_, i) => ({
      kind: 'code' as const,
      language: 'sql',
      source: `SELECT ${i};`,
    }));
    const nb = {
      frontMatter: { cnbook: 2 },
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

describe('records of version 1 and version 2', () => {
  const v1Record = () => read('valid', 'v1-record.cnbook');
  const v2Record = () => read('valid', 'v2-record.cnbook');

  it('reads a version 1 record and its version 2 upgrade as the same notebook', () => {
    const v1 = parseNotebook(v1Record());
    expect(v1.layout?.version).toBe(1);
    expect(parseNotebook(v2Record()).layout?.version).toBe(2);
    expect(sameNotebook(v1, parseNotebook(v2Record()))).toBe(true);
    expect(printNotebook(v1, { version: 2 })).toBe(v2Record());
    expect(printNotebook(parseNotebook(v2Record()), { version: 1 })).toBe(v1Record());
  });

  it('reads a version 2 record written before packed outputs as the same notebook, and keeps its bytes', () => {
    // Written by the printer of 49b447f: outputs as {"items": [...]} and markers without shapes.
    const unpacked = read('valid', 'v2-record-unpacked.cnbook');
    expect(unpacked).toContain('"compact":');
    expect(unpacked).not.toContain('"shapes":');
    const nb = parseNotebook(unpacked);
    expect(sameNotebook(nb, parseNotebook(v2Record()))).toBe(true);
    expect(printNotebook(nb)).toBe(unpacked);
    // Written anew, it takes the packed forms, as its upgrade from version 1 does.
    const rewritten = printNotebook(stripLayout(nb));
    expect(rewritten).toContain('"shapes":');
    expect(rewritten).toBe(printNotebook(stripLayout(parseNotebook(v2Record()))));
  });

  it('writes a version 1 record as version 2 once it is saved with a change, and as before without one', () => {
    const nb = parseNotebook(v1Record());
    expect(printNotebook(nb)).toBe(v1Record());
    const cell = nb.cells[0]!;
    cell.source = `${cell.source}\n\nA note added during the incident.`;
    const saved = printNotebook(nb);
    expect(saved.split('\n')[1]).toBe('cnbook: 2');
    expect(sameNotebook(parseNotebook(saved), nb)).toBe(true);
    // Undoing the change makes it the file that was read again, so it is written as that file.
    cell.source = cell.source.replace('\n\nA note added during the incident.', '');
    expect(printNotebook(nb)).toBe(v1Record());
  });

  it('keeps the comments of a version 1 front matter when moving the file to version 2', () => {
    const nb = parseNotebook(read('valid', 'v1-hand-written-outputs.cnbook'));
    nb.cells[0]!.source = 'SELECT 1 AS one, 2 AS two;';
    const lines = printNotebook(nb).split('\n');
    expect(lines.slice(0, 4)).toEqual([
      '---',
      'cnbook: 2 # format version',
      'title: A version 1 record edited by hand',
      '---',
    ]);
  });

  it('stores each output once in version 2: the Markdown as the view, JSON payloads as JSON', () => {
    const text = v2Record();
    const nb = parseNotebook(text);
    const outputs = nb.cells.flatMap((c) => (c.kind === 'code' ? (c.outputs ?? []) : []));
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      const markdown = output.items.find((i) => i.mime === 'text/markdown')!.text!;
      // The Markdown is in the file once (as the view), the JSON payload once, and never as a string of JSON.
      expect(text.split(markdown).length - 1).toBe(1);
      expect(text).not.toContain(JSON.stringify(markdown));
      const payload = output.items.find((i) => i.mime.endsWith('+json'))!.text!;
      expect(text).not.toContain(JSON.stringify(payload).slice(0, 40));
    }
    expect(Math.max(...text.split('\n').map((line) => line.length))).toBeLessThan(
      Math.max(
        ...v1Record()
          .split('\n')
          .map((line) => line.length),
      ) / 4,
    );
  });

  it('falls back to inline text when the view would not read back as the Markdown', () => {
    const markdown = ['ends inside a fence:', '```sql', 'SELECT 1'].join('\n');
    const cell = {
      kind: 'code' as const,
      language: 'sql',
      source: 'SELECT 1',
      outputs: [{ items: [{ mime: 'text/markdown', text: markdown }] }],
    };
    for (const text of [
      markdown,
      'a line break\r\ninside',
      '<!-- /cnbook:outputs -->',
      'x\n<!-- cnbook:output {} -->',
    ]) {
      cell.outputs[0]!.items[0]!.text = text;
      const file = printNotebook({ frontMatter: {}, cells: [cell] });
      expect(file).toContain('"text":');
      expect((parseNotebook(file).cells[0] as CodeCell).outputs).toEqual(cell.outputs);
    }
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
    'missing-version.cnbook': [2, /expected 'cnbook: 2'/],
    'future-version.cnbook': [3, /newer cnbook \(format 99\)/],
    'version-not-number.cnbook': [2, /the format version is "one", not a whole number; expected 'cnbook: 2'/],
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
    'v2-version-1-outputs.cnbook': [7, /an outputs comment of format version 1 in a version 2 file/],
    'v2-header-extra-key.cnbook': [7, /holds more than an execution summary; expected '<!-- cnbook:outputs -->' or/],
    'v2-view-without-output.cnbook': [
      8,
      /starts no output; expected an output comment '<!-- cnbook:output \{...\} -->'/,
    ],
    'v2-output-comment-ends-early.cnbook': [
      8,
      /unclosed output comment opened here \(the outputs block closes first\)/,
    ],
    'v2-unclosed-output-comment.cnbook': [8, /unclosed output comment opened here; expected a line ending in '-->'/],
    'v2-text-after-comment-end.cnbook': [
      8,
      /text after the --> that ends the output comment; expected '-->' at the end/,
    ],
    'v2-bad-output-json.cnbook': [12, /bad JSON in the output comment .*; expected \{"items": /],
    'v2-item-two-forms.cnbook': [8, /exactly one of "text", "base64", "json", "compact", "view": true/],
    'v2-compact-wrong-type.cnbook': [8, /an item of type application\/json stored as "compact"/],
    'v2-compact-evidence-missing.cnbook': [
      9,
      /the compact application\/vnd.cnbook.findings\+json item: finding 1: no result stored before it holds the rows/,
    ],
    'v2-unclosed-markdown-marker.cnbook': [6, /unclosed markdown marker opened here; expected a line '-->'/],
    'v2-markdown-marker-bad-json.cnbook': [6, /bad cell metadata JSON .*after 'cnbook:markdown'/],
    'v2-two-views.cnbook': [8, /more than one item of the output is stored as the view/],
    'v2-metadata-not-object.cnbook': [8, /"metadata" in the output comment is not an object/],
    'v2-unclosed-outputs.cnbook': [
      7,
      /unclosed outputs block opened here; expected a line '<!-- \/cnbook:outputs -->'/,
    ],
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
