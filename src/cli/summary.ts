import type { NotSeen } from '../core/cluster/notSeen';
import type { Finding } from '../core/probes/types';
import type { CellReport } from '../core/run/runbook';
import { runStatusWord, runSummary } from '../core/run/statusWords';
import { cutNote } from '../core/sql/cutValue';
import type { CutValue } from '../core/sql/payload';

export interface RunSummary {
  runbook: string;
  profile: string;
  startedAt: string;
  finishedAt: string;
  cells: CellReport[];
  findings: Finding[];
  diagnosis: unknown | null;
  /** Cells and members the run could not look at, and what it would need (present when there are some). */
  notSeen?: NotSeen;
}

const MARK: Record<CellReport['status'], string> = { ok: '✓', error: '✗', skipped: '-', cancelled: '⊘' };

export function formatCellLine(report: CellReport): string {
  const head = `  ${MARK[report.status]} cell ${report.index + 1} (${report.language}) ${runStatusWord(report.status)}`;
  const time = report.status === 'skipped' ? '' : ` ${report.durationMs} ms`;
  const error = report.error ? `\n      ${report.error.split('\n').join('\n      ')}` : '';
  const kept = report.evidenceKept
    ? `\n      kept the evidence of its last run that executed (${report.evidenceKept.takenAt ?? 'time not recorded'})`
    : '';
  return `${head}${time}${error}${kept}${cutLines(report.cutValues ?? [])}`;
}

/** Values kept cut, the first few named (the record lists them all, with their full hash). */
const CUT_VALUES_NAMED = 3;

function cutLines(cuts: readonly CutValue[]): string {
  const named = cuts
    .slice(0, CUT_VALUES_NAMED)
    .map((cut) => `\n      ${cut.connection}: row ${cut.row + 1}, ${cut.columnName}: value kept cut (${cutNote(cut)})`);
  const more =
    cuts.length > CUT_VALUES_NAMED ? `\n      and ${cuts.length - CUT_VALUES_NAMED} more values kept cut` : '';
  return `${named.join('')}${more}`;
}

export function formatSummary(summary: RunSummary): string {
  const counts = runSummary(
    summary.cells.map((c) => c.status),
    summary.findings.map((f) => f.severity),
  );
  const ms = Date.parse(summary.finishedAt) - Date.parse(summary.startedAt);
  return `${summary.runbook} on profile ${summary.profile}: ${counts} (${ms} ms)`;
}

/** 0 nothing to act on, 1 warnings, 2 critical findings, 3 could not run (bad input, no connection, a failed cell). */
export function exitCodeOf(summary: RunSummary): number {
  if (summary.cells.some((c) => c.status !== 'ok')) return 3;
  const severities = summary.findings.map((f) => f.severity);
  if (severities.includes('critical')) return 2;
  if (severities.includes('warning') || severities.includes('unknown')) return 1;
  return 0;
}
