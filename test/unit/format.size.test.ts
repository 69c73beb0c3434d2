import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNotebook, printNotebook } from '../../src/core/format';

const fixture = (name: string) => fs.readFileSync(path.resolve(__dirname, '../fixtures/format/valid', name), 'utf8');
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * Records written by `cnbook run --out` in version 1: the demo (`npm run demo`), and the same runbook on a
 * cluster with more damage (100 wrong totals, 40 orphaned items), so that its results hold 100 and 40 rows.
 */
const records = [
  { name: 'v1-record.cnbook', measured: 0.837 },
  { name: 'v1-record-large-results.cnbook', measured: 0.761 },
];

describe('the size of a record', () => {
  it.each(records)('$name: version 2 no longer holds each Markdown view inside the JSON', ({ name }) => {
    const v1 = fixture(name);
    const notebook = parseNotebook(v1);
    const v2 = printNotebook(notebook, { version: 2 });
    const markdown = notebook.cells
      .flatMap((cell) => (cell.kind === 'code' ? (cell.outputs ?? []) : []))
      .flatMap((output) => output.items.filter((item) => item.mime === 'text/markdown'))
      .map((item) => bytes(item.text ?? ''));
    expect(markdown.length).toBeGreaterThan(5);
    // At least the second copy of every view is gone (and, with it, the escaping of JSON inside strings).
    expect(bytes(v1) - bytes(v2)).toBeGreaterThan(markdown.reduce((sum, n) => sum + n, 0));
  });

  it.each(records)('$name: version 2 is at most its measured share of version 1 ($measured)', ({ name, measured }) => {
    const v1 = fixture(name);
    const v2 = printNotebook(parseNotebook(v1), { version: 2 });
    // A size property of the printer (deterministic), with the share measured when version 2 was made.
    expect(bytes(v2) / bytes(v1)).toBeLessThanOrEqual(measured + 0.005);
  });
});
