import Ajv from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNotebook } from '../../src/core/format';
import { recordJson } from '../../src/core/record/recordJson';
import { timelineOf } from '../../src/core/record/timeline';

const schema = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../docs/record.schema.json'), 'utf8')) as object;
const fixture = (name: string) =>
  parseNotebook(fs.readFileSync(path.resolve(__dirname, '../fixtures/format/valid', name), 'utf8'));
const validate = new Ajv({ allErrors: true }).compile(schema);

// Issue 18: a tool that files tickets or feeds a dashboard reads the record as one JSON document.
describe('the record as JSON (cnbook export --format json)', () => {
  it.each(['v2-demo-record.cnbook', 'v1-record.cnbook', 'minimal.cnbook'])(
    '%s: holds every cell, finding and timeline entry, as plain JSON that the schema accepts',
    (name) => {
      const notebook = fixture(name);
      const doc = recordJson(notebook) as Record<string, unknown[]> & { diagnosis: unknown };
      expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
      expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
      const runbookCells = notebook.cells.filter((c) => typeof c.metadata?.cnbook !== 'string');
      expect(doc.cells).toHaveLength(runbookCells.length);
      expect(doc.timeline).toHaveLength(timelineOf(notebook.cells).length);
      const cellFindings = (doc.cells as { findings: unknown[] }[]).flatMap((c) => c.findings);
      expect(doc.findings).toHaveLength(cellFindings.length);
    },
  );

  it('has a diagnosis and findings for a record of a real run, and the schema refuses a broken one', () => {
    const doc = recordJson(fixture('v2-demo-record.cnbook')) as {
      findings: { severity: string }[];
      diagnosis: unknown;
    };
    expect(doc.findings.length).toBeGreaterThan(5);
    expect(doc.diagnosis).toMatchObject({ consistencyType: expect.any(String), problems: expect.any(Array) });
    const broken = { ...doc, findings: [{ ...doc.findings[0], severity: 'fine' }] };
    expect(validate(broken)).toBe(false);
  });
});
