import { describe, expect, it } from 'vitest';
import { formatCellLine, formatSummary } from '../../src/cli/summary';
import type { Finding } from '../../src/core/probes/types';
import { timelineMarkdown } from '../../src/core/record/timeline';
import { runSummary } from '../../src/core/run/statusWords';

// The demo's run: every cell worked, three found critical problems. "7 ok" read as all clear.
const finding = (severity: Finding['severity']) => ({ severity }) as Finding;

describe('run status and findings never share a word', () => {
  it('summarizes a run as cells that ran, then the findings worst first', () => {
    const findings = ['critical', 'ok', 'critical', 'warning', 'critical', 'ok'].map((s) => s as Finding['severity']);
    expect(runSummary(Array(7).fill('ok'), findings)).toBe('7 cells ran: 3 critical, 1 warning');
    expect(runSummary(['ok', 'error', 'skipped'], ['ok'])).toBe(
      '1 cell ran, 1 failed, 1 skipped: no findings to act on',
    );
  });

  it('prints the CLI summary and cell lines without "ok"', () => {
    const cells = Array.from({ length: 7 }, (_, index) => ({ index, language: 'cnprobe', status: 'ok' as const }));
    const summary = {
      runbook: 'triage',
      profile: 'sandbox',
      startedAt: '2026-12-04T10:00:00.000Z',
      finishedAt: '2026-12-04T10:00:00.544Z',
      cells: cells.map((c) => ({ ...c, source: '', durationMs: 5 })),
      findings: [finding('critical'), finding('warning'), finding('ok')],
      diagnosis: null,
    };
    expect(formatSummary(summary as never)).toBe(
      'triage on profile sandbox: 7 cells ran: 1 critical, 1 warning (544 ms)',
    );
    expect(formatCellLine(summary.cells[3] as never)).toBe('  ✓ cell 4 (cnprobe) ran 5 ms');
  });

  it('writes "ran" in the timeline, the findings beside it in colour', () => {
    const entry = {
      kind: 'run' as const,
      at: '2026-12-04T10:00:00Z',
      who: 'alice',
      cell: 9,
      language: 'cnprobe',
      label: 'table-drift',
      connections: ['us-east'],
      outcome: 'ok' as const,
      findings: { critical: 1 },
    };
    const row = timelineMarkdown([entry as never], 'as-run')
      .split('\n')
      .at(-1);
    expect(row).toMatch(/\| ran 🔴 1 \|$/);
  });
});
