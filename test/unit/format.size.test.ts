import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNotebook, printNotebook, stripLayout } from '../../src/core/format';
import { partsTable, recordParts } from '../helpers/recordParts';

const fixture = (name: string) => fs.readFileSync(path.resolve(__dirname, '../fixtures/format/valid', name), 'utf8');
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * Records of real runs: two written by `cnbook run --out` in version 1 (the demo of an earlier session on one
 * replica, the 22.8 KB record issue 9 measured, and the same runbook on a cluster with 100 wrong totals and 40
 * orphaned items), the demo as version 2 wrote it before its outputs were packed, and today's demo: `npm run
 * demo` (runbooks/triage.cnbook on the sandbox with a paused replica, drift in orders and orphaned items),
 * regenerated with `npm run demo && cp out/triage.demo.cnbook test/fixtures/format/valid/v2-demo-record.cnbook`.
 * test/integration/recordSize.test.ts measures the same on a fresh run.
 */
const records = [
  { name: 'v1-record.cnbook', measured: 0.662 },
  { name: 'v1-record-large-results.cnbook', measured: 0.595 },
  // 0.65 until side-by-side comparisons named the odd one out (issue 18): its stored comparisons, made by the
  // earlier rule, no longer equal what compareRuns derives, so version 2 keeps them.
  { name: 'v2-demo-record-unpacked.cnbook', measured: 0.661 },
  { name: 'v2-demo-record.cnbook', measured: 0.657 },
];

describe('the size of a record', () => {
  it.each(records)('$name: version 2 no longer holds each Markdown view inside the JSON', ({ name }) => {
    const notebook = parseNotebook(fixture(name));
    const v1 = printNotebook(notebook, { version: 1 });
    const v2 = printNotebook(stripLayout(notebook), { version: 2 });
    const markdown = notebook.cells
      .flatMap((cell) => (cell.kind === 'code' ? (cell.outputs ?? []) : []))
      .flatMap((output) => output.items.filter((item) => item.mime === 'text/markdown'))
      .map((item) => bytes(item.text ?? ''));
    expect(markdown.length).toBeGreaterThan(5);
    // At least the second copy of every view is gone (and, with it, the escaping of JSON inside strings).
    expect(bytes(v1) - bytes(v2)).toBeGreaterThan(markdown.reduce((sum, n) => sum + n, 0));
  });

  it.each(records)('$name: version 2 is at most its measured share of version 1 ($measured)', ({ name, measured }) => {
    const notebook = parseNotebook(fixture(name));
    const v1 = printNotebook(notebook, { version: 1 });
    const v2 = printNotebook(stripLayout(notebook), { version: 2 });
    // A size property of the printer (deterministic), with the share measured when the printer last changed.
    expect(bytes(v2) / bytes(v1)).toBeLessThanOrEqual(measured + 0.005);
  });

  it.each(records)(
    '$name: version 2 is at most two thirds of version 1 (issue 9: "shrinks by at least a third")',
    ({ name }) => {
      const notebook = parseNotebook(fixture(name));
      const v2 = printNotebook(stripLayout(notebook), { version: 2 });
      expect(bytes(v2) / bytes(printNotebook(notebook, { version: 1 }))).toBeLessThanOrEqual(2 / 3);
    },
  );

  it('stores the outputs of the demo in under three fifths of the bytes, and its record cells in less', () => {
    const parts = recordParts(parseNotebook(fixture('v2-demo-record.cnbook')));
    console.log(partsTable(parts));
    const part = (name: string) => parts.find((p) => p.part === name)!;
    expect(part('cnprobe outputs').v2 / part('cnprobe outputs').v1).toBeLessThan(0.6);
    expect(part('sql outputs').v2 / part('sql outputs').v1).toBeLessThan(0.45);
    // Markdown cells are the same text in both versions; long markers are laid out over lines in version 2.
    expect(part('runbook Markdown').v2).toBe(part('runbook Markdown').v1);
    expect(part('diagnosis cell').v2 / part('diagnosis cell').v1).toBeLessThan(0.92);
    expect(part('timeline cell').v2 / part('timeline cell').v1).toBeLessThan(0.83);
  });
});
