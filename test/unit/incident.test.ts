import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FORMAT_VERSION, parseNotebook, printNotebook } from '../../src/core/format';
import { findingsOutput } from '../../src/core/probes/render';
import { IncidentRequestError, incidentFields, incidentPath, newIncident, slug } from '../../src/core/record/incident';

const now = new Date('2026-12-01T15:42:10.123Z');
const runbook = () => parseNotebook(fs.readFileSync('runbooks/orders-vs-items.cnbook', 'utf8'));

describe('a new incident from a runbook', () => {
  it('fills incident: and keeps the runbook, its parameters and its own incident keys', () => {
    const source = runbook();
    const incident = newIncident(source, { title: 'Totals off for EU orders', responders: ['ana', 'ana', 'bo'], now });
    expect(incident.frontMatter.incident).toEqual({
      id: expect.stringMatching(/^INC-20261201-1542-[0-9a-z]{4}$/),
      title: 'Totals off for EU orders',
      severity: 'sev2',
      opened: '2026-12-01T15:42:10.123Z',
      responders: ['ana', 'bo'],
      commander: null,
    });
    expect(incident.frontMatter.title).toBe(source.frontMatter.title);
    expect(incident.cells.map((c) => c.source)).toEqual(source.cells.map((c) => c.source));
  });

  // Issue 18: two incidents opened in the same minute both got INC-YYYYMMDD-HHMM.
  it('gives two incidents opened in the same second different ids', () => {
    const ids = new Set(
      Array.from(
        { length: 50 },
        () => (newIncident(runbook(), { title: 'x', responders: [], now }).frontMatter.incident as { id: string }).id,
      ),
    );
    expect(ids.size).toBe(50);
    expect([...ids].every((id) => id.startsWith('INC-20261201-1542-'))).toBe(true);
  });

  it('reads back as written, and leaves outputs, executions, diagnosis and timeline of a used record behind', () => {
    const used = runbook();
    const code = used.cells.find((c) => c.kind === 'code');
    if (code?.kind !== 'code') throw new Error('fixture has no code cell');
    code.outputs = [findingsOutput([])];
    code.execution = { success: true, executionOrder: 1 };
    used.cells.push({ kind: 'markdown', source: '## Diagnosis', metadata: { cnbook: 'diagnosis' } });
    used.cells.push({ kind: 'markdown', source: '## Timeline', metadata: { cnbook: 'timeline' } });
    const incident = newIncident(used, { title: 'x', responders: [], now });
    const reread = parseNotebook(printNotebook(incident));
    // A new incident is a changed notebook, so it is written in the current format version.
    expect(reread.frontMatter).toEqual({ ...incident.frontMatter, cnbook: FORMAT_VERSION });
    expect(reread.cells).toHaveLength(runbook().cells.length);
    expect(reread.cells.some((c) => c.kind === 'code' && (c.outputs || c.execution))).toBe(false);
  });

  it.each([
    [{ title: '   ' }, /needs a title/],
    [{ title: 'x', severity: 'sev9' }, /severity 'sev9' is not one of sev1, sev2, sev3, sev4/],
  ])('refuses %j', (fields, message) => {
    const request = { responders: [], now, ...fields } as Parameters<typeof incidentFields>[0];
    expect(() => incidentFields(request)).toThrow(IncidentRequestError);
    expect(() => incidentFields(request)).toThrow(message);
  });

  it('names the file by date and title, and never takes a name already used', () => {
    const fields = incidentFields({ title: 'Réplica “eu-west” lags!', responders: [], now });
    const taken = new Set(['incidents/2026-12-01-replica-eu-west-lags.cnbook']);
    expect(incidentPath(fields, (p) => taken.has(p))).toBe('incidents/2026-12-01-replica-eu-west-lags-2.cnbook');
    expect(incidentPath(fields, () => false)).toBe('incidents/2026-12-01-replica-eu-west-lags.cnbook');
  });

  it.each([
    ['Orders vs items', 'orders-vs-items'],
    ['../../etc/passwd', 'etc-passwd'],
    ['日本語', 'incident'],
    ['a'.repeat(80), 'a'.repeat(60)],
  ])('slug(%j) is %j', (title, expected) => {
    expect(slug(title)).toBe(expected);
  });
});
