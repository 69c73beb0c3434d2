import { describe, expect, it } from 'vitest';
import type { DiagnosisHeadline } from '../../src/core/diagnosis/model';
import { diagnose, diagnosisHeadline } from '../../src/core/diagnosis';
import type { Notebook } from '../../src/core/format/model';
import type { Finding } from '../../src/core/probes/types';
import { applyRecordCellChange } from '../../src/core/record/recordCells';
import { RunTimeline } from '../../src/core/record/runTimeline';
import { timelineAfterRun, timelineOf, type CellRunFacts } from '../../src/core/record/timeline';

const hosts = [{ connection: 'db-replica-1', role: 'replicas' }];
const paused: Finding = {
  probe: 'replication-lag',
  target: 'db-replica-1',
  severity: 'warning',
  summary: 'behind, replay PAUSED',
  metrics: { replayPaused: true },
};
const fixed: Finding = { ...paused, severity: 'ok', metrics: {} };

/** Cells 0..n-1 alternate SQL with no findings and probes whose findings change the conclusion now and then. */
function runs(n: number): CellRunFacts[] {
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    language: i % 3 === 0 ? 'cnprobe' : 'sql',
    source: i % 3 === 0 ? 'replication-lag on=replicas' : `-- @on all\nSELECT ${i}`,
    status: 'ok',
    connections: ['db-replica-1'],
    findings: i % 3 !== 0 ? [] : i % 9 === 0 ? [paused] : [fixed],
    at: new Date(Date.UTC(2026, 11, 1, 10, 0, i)).toISOString(),
    who: 'ana',
  }));
}

function notebookOf(n: number): Notebook {
  const stored = { kind: 'note', at: '2026-12-01T09:00:00.000Z', who: 'bo', text: 'paged' };
  return {
    frontMatter: { cnbook: 2 },
    cells: [
      ...runs(n).map((r) => ({ kind: 'code' as const, language: r.language, source: r.source })),
      { kind: 'markdown', source: '## Timeline', metadata: { cnbook: 'timeline', timeline: { entries: [stored] } } },
    ],
  };
}

const diagnosisOf = (run: CellRunFacts) => diagnose({ findings: [...run.findings], hosts, now: run.at });

describe('the timeline of a headless run', () => {
  it('ends with the entries that writing the timeline after every cell gives, the stored ones first', () => {
    const perCell = notebookOf(12);
    for (const run of runs(12)) applyRecordCellChange(perCell, timelineAfterRun(perCell.cells, run, diagnosisOf(run)));
    const once = notebookOf(12);
    const timeline = new RunTimeline(once.cells);
    for (const run of runs(12)) timeline.cellRan(run, () => diagnosisOf(run));
    applyRecordCellChange(once, timeline.change(once.cells));
    expect(timelineOf(once.cells)).toEqual(timelineOf(perCell.cells));
    expect(timelineOf(once.cells).map((e) => e.kind)).toContain('diagnosis');
    expect(once.cells).toHaveLength(13);
  });

  it('diagnoses only after cells that gave findings, and leaves the notebook alone when nothing ran', () => {
    const notebook = notebookOf(30);
    const timeline = new RunTimeline(notebook.cells);
    expect(timeline.change(notebook.cells)).toEqual({ kind: 'unchanged' });
    let diagnosed = 0;
    for (const run of runs(30)) timeline.cellRan(run, () => (diagnosed++, diagnosisOf(run)));
    expect(diagnosed).toBe(10);
  });

  it('asks the diagnosis only for its conclusion, which is what diagnose concludes', () => {
    const unknown: Finding = { ...paused, severity: 'unknown', metrics: {} };
    for (const findings of [[], [fixed], [unknown], [paused, fixed], [fixed, paused, unknown]]) {
      const { consistencyType, rootCause, severity, problems } = diagnose({ findings, hosts, now: 't' });
      const headline = diagnosisHeadline(findings);
      expect(headline).toMatchObject({ consistencyType, rootCause, severity });
      const kept = ({ type, causeNode, severity, rootCause, evidence }: DiagnosisHeadline['problems'][number]) => ({
        type,
        causeNode,
        severity,
        rootCause,
        evidence,
      });
      expect(headline.problems.map(kept)).toEqual(problems.map(kept));
    }
  });
});
