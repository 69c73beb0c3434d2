import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/core/diagnosis';
import { parseNotebook, printNotebook } from '../../src/core/format';
import type { Notebook } from '../../src/core/format/model';
import type { Finding } from '../../src/core/probes/types';
import { updateDiagnosisRecord } from '../../src/core/record/diagnosisCell';
import { applyRecordCellChange } from '../../src/core/record/recordCells';
import {
  cellLabel,
  diagnosisSoFar,
  runEntries,
  timelineChange,
  timelineMarkdown,
  timelineRenumbered,
  timelineOf,
  type DiagnosisEntry,
  type TimelineEntry,
} from '../../src/core/record/timeline';

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
    const first = runEntries(diagnosisSoFar([]), run('2026-12-01T10:00:00.000Z'), diagnosisOf([paused], 't1'));
    expect(first.map((e) => e.kind)).toEqual(['run', 'diagnosis']);
    expect(first[0]).toMatchObject({ findings: { warning: 1 }, connections: ['db-replica-1'] });
    expect(first[1]).toMatchObject({ consistencyType: 'eventual', severity: 'warning' });
    const again = runEntries(diagnosisSoFar(first), run('2026-12-01T10:05:00.000Z'), diagnosisOf([paused], 't2'));
    expect(again.map((e) => e.kind)).toEqual(['run']);
    const fixed = { ...paused, severity: 'ok' as const, metrics: {} };
    const resolved = runEntries(
      diagnosisSoFar(first),
      run('2026-12-01T10:09:00.000Z', [fixed]),
      diagnosisOf([fixed], 't3'),
    );
    expect(resolved.map((e) => e.kind)).toEqual(['run', 'diagnosis']);
    expect(resolved[1]).toMatchObject({ consistencyType: 'none', severity: 'ok' });
  });

  // Issue 18: a paused replica (a warning, the primary problem: it comes first as a cause) and then drift on a
  // copy (critical) read "🔴 Eventual consistency: replay paused …", a warning's text under a critical colour.
  it('says the whole severity and the primary problem with its own, and names the problem that came', () => {
    const drift: Finding = {
      probe: 'table-drift',
      target: 'primary → copy',
      severity: 'critical',
      summary: 'orders: 50 changed',
      metrics: {},
      deviating: ['copy'],
    };
    const first = runEntries(diagnosisSoFar([]), run('2026-12-01T10:00:00.000Z'), diagnosisOf([paused], 't1'));
    const second = runEntries(
      diagnosisSoFar(first),
      run('2026-12-01T10:01:00.000Z', [drift]),
      diagnosisOf([paused, drift], 't2'),
    );
    const entry = second[1] as DiagnosisEntry;
    expect(entry).toMatchObject({
      severity: 'critical',
      primarySeverity: 'warning',
      problems: { warning: 1, critical: 1 },
    });
    expect(entry.changes).toEqual([
      expect.objectContaining({ change: 'new', severity: 'critical', on: 'primary → copy' }),
    ]);
    const row =
      timelineMarkdown([...first, ...second], [])
        .split('\n')
        .at(-1) ?? '';
    expect(row).toContain('🔴 critical overall; primary problem 🟡 warning: Eventual consistency: replay paused');
    expect(row).toContain('new 🔴 critical: copies differ: primary → copy: orders: 50 changed');
    const fixed = { ...drift, severity: 'ok' as const };
    const third = runEntries(
      diagnosisSoFar([...first, ...second]),
      run('t3', [fixed]),
      diagnosisOf([paused, fixed], 't3'),
    );
    expect((third[1] as DiagnosisEntry).changes).toEqual([
      expect.objectContaining({ change: 'gone', on: 'primary → copy' }),
    ]);
    expect(timelineMarkdown(third, [])).toContain(
      '🟡 Eventual consistency: replay paused on db-replica-1: behind, replay PAUSED; ' +
        'gone 🔴 critical: copies differ',
    );
  });

  // Issue 18: after a cell was inserted above step 1, older timeline rows pointed at other cells.
  it('draws "cell N" from where each entry\'s cell stands now, by its id', () => {
    const nb = notebook();
    nb.cells[1]!.metadata = { id: 'lag' };
    const entry = { ...run('2026-12-01T10:00:00.000Z', []), cellId: 'lag' };
    applyRecordCellChange(nb, timelineChange(nb.cells, runEntries(diagnosisSoFar([]), entry, null)));
    expect(nb.cells[2]?.source).toContain('ran cell 2 (cnprobe)');
    expect(timelineRenumbered(nb.cells)).toEqual({ kind: 'unchanged' });
    nb.cells.unshift({ kind: 'code', language: 'sql', source: 'SELECT 1', metadata: { id: 'new' } });
    applyRecordCellChange(nb, timelineRenumbered(nb.cells));
    expect(nb.cells[3]?.source).toContain('ran cell 3 (cnprobe)');
    nb.cells.splice(2, 1);
    applyRecordCellChange(nb, timelineRenumbered(nb.cells));
    expect(nb.cells[2]?.source).toContain('ran a removed cell (cnprobe)');
  });

  it('is stored in one cell after the diagnosis, read back losslessly, and reads as a Markdown table', () => {
    const nb = notebook();
    const entries: TimelineEntry[] = [
      ...runEntries(diagnosisSoFar([]), run('2026-12-01T10:00:00.000Z'), diagnosisOf([paused], 't')),
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
    applyRecordCellChange(
      nb,
      timelineChange(nb.cells, runEntries(diagnosisSoFar([]), run('2026-12-01T10:00:00.000Z'), null)),
    );
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
