import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/core/diagnosis';
import { parseNotebook, printNotebook } from '../../src/core/format';
import type { Notebook } from '../../src/core/format/model';
import type { Finding } from '../../src/core/probes/types';
import { updateDiagnosisRecord } from '../../src/core/record/diagnosisCell';
import { applyRecordCellChange } from '../../src/core/record/recordCells';
import { cellLabel, runEntries, timelineChange, timelineOf, type TimelineEntry } from '../../src/core/record/timeline';

const hosts = [{ connection: 'db-replica-1', role: 'replicas' }];
const paused: Finding = {
  probe: 'replication-lag',
  target: 'db-replica-1',
  severity: 'warning',
  summary: 'behind, replay PAUSED',
  metrics: { replayPaused: true },
};
const run = (at: string, findings: Finding[] = [paused]) => ({
  at,
  who: 'ana',
  cell: 1,
  label: 'replication-lag on=replicas',
  language: 'cnprobe',
  connections: ['db-replica-1'],
  outcome: 'ok' as const,
  findings,
});
const diagnosisOf = (findings: Finding[], now: string) => diagnose({ findings, hosts, now });
const notebook = (): Notebook => ({
  frontMatter: { cnbook: 1 },
  cells: [
    { kind: 'markdown', source: '# Runbook' },
    { kind: 'code', language: 'cnprobe', source: 'x' },
  ],
});

describe('the timeline', () => {
  it('adds a run entry with its severities, and a diagnosis entry only when the conclusion changes', () => {
    const first = runEntries([], run('2026-12-01T10:00:00.000Z'), diagnosisOf([paused], 't1'));
    expect(first.map((e) => e.kind)).toEqual(['run', 'diagnosis']);
    expect(first[0]).toMatchObject({ findings: { warning: 1 }, connections: ['db-replica-1'] });
    expect(first[1]).toMatchObject({ consistencyType: 'eventual', severity: 'warning' });
    const again = runEntries(first, run('2026-12-01T10:05:00.000Z'), diagnosisOf([paused], 't2'));
    expect(again.map((e) => e.kind)).toEqual(['run']);
    const fixed = { ...paused, severity: 'ok' as const, metrics: {} };
    const resolved = runEntries(first, run('2026-12-01T10:09:00.000Z', [fixed]), diagnosisOf([fixed], 't3'));
    expect(resolved.map((e) => e.kind)).toEqual(['run', 'diagnosis']);
    expect(resolved[1]).toMatchObject({ consistencyType: 'none', severity: 'ok' });
  });

  it('is stored in one cell after the diagnosis, read back losslessly, and reads as a Markdown table', () => {
    const nb = notebook();
    const entries: TimelineEntry[] = [
      ...runEntries([], run('2026-12-01T10:00:00.000Z'), diagnosisOf([paused], 't')),
      { kind: 'note', at: '2026-12-01T10:02:00.000Z', who: 'bo', text: 'paused by a | pipe <b>x</b>\nline 2' },
    ];
    applyRecordCellChange(nb, timelineChange(nb.cells, entries));
    updateDiagnosisRecord(nb, diagnosisOf([paused], '2026-12-01T10:00:00.000Z'), hosts, true);
    expect(nb.cells.map((c) => c.metadata?.cnbook)).toEqual([undefined, undefined, 'diagnosis', 'timeline']);
    const reread = parseNotebook(printNotebook(nb));
    expect(timelineOf(reread.cells)).toEqual(entries);
    const table = reread.cells[3]?.source ?? '';
    expect(table).toContain('| time (UTC) | who | what | where | outcome |');
    expect(table).toContain('| 2026-12-01 10:00:00 | ana | ran cell 2 (cnprobe): replication-lag on=replicas |');
    expect(table).toContain('paused by a \\| pipe &lt;b&gt;x&lt;/b&gt;↵ line 2');
    expect(table).not.toContain('<b>');
    expect(table.split('\n').filter((l) => l.startsWith('| 2026'))).toHaveLength(3);
  });

  it('appends to the stored entries and ignores entries edited into nonsense', () => {
    const nb = notebook();
    applyRecordCellChange(nb, timelineChange(nb.cells, runEntries([], run('2026-12-01T10:00:00.000Z'), null)));
    const cell = nb.cells[2]!;
    const stored = cell.metadata!.timeline as { entries: unknown[] };
    stored.entries.push({ kind: 'diagnosis', at: 'x', who: 'y', consistencyType: 'toString', severity: 'ok' }, 7);
    applyRecordCellChange(nb, timelineChange(nb.cells, [{ kind: 'note', at: 'z', who: 'w', text: 'ok' }]));
    expect(timelineOf(nb.cells).map((e) => e.kind)).toEqual(['run', 'note']);
    expect(nb.cells).toHaveLength(3);
  });

  it.each([
    ['-- @on all\n-- @expect empty\nSELECT * FROM orders', 'SELECT * FROM orders'],
    ['\n\n  topology on=all  ', 'topology on=all'],
    ['', ''],
  ])('labels a cell %j as %j', (source, label) => {
    expect(cellLabel(source)).toBe(label);
  });
});
