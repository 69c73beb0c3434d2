import { CONSISTENCY_TITLE } from '../diagnosis';
import type { Provenance } from '../sql/payload';
import { describeSqlError } from '../sql/errors';
import { formatDuration } from '../util/duration';
import type { ImpactWindow, IncidentReport, ReportProblem, ReportRun, TimelineItem } from './reportModel';

/**
 * Wording shared by the Markdown and HTML reports, as plain (unescaped) text: each renderer escapes it.
 * One place for how a time, a window, a problem or a provenance reads.
 */
export function readableTime(iso: string | null): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return iso ?? '—';
  return `${new Date(Date.parse(iso))
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '')
    .replace(/Z$/, '')} UTC`;
}

/** The incident's fields at the head of a report, as label and text (null: not recorded). */
export function headerFields(report: IncidentReport): [string, string | null][] {
  const i = report.incident;
  return [
    ['Incident', i.id],
    ['Severity', i.severity],
    ['Opened', i.opened ? readableTime(i.opened) : null],
    ['Commander', i.commander],
    ['Responders', i.responders.length > 0 ? i.responders.join(', ') : null],
    // Only from the evidence: the run's own span says when someone looked, not when the data went wrong.
    ...(report.impact ? [['Impact window', windowText(report.impact)] as [string, string]] : []),
  ];
}

export function windowText(w: ImpactWindow): string {
  return `${readableTime(w.start)} → ${readableTime(w.end)} (${formatDuration(w.durationMs)})`;
}

export function problemTitle(problem: ReportProblem): string {
  return `${CONSISTENCY_TITLE[problem.type]}${problem.rootCause ? `: ${problem.rootCause}` : ''}`;
}

export function summaryText(report: IncidentReport): string {
  if (!report.ran) return 'This record has not been run: no cell has results. The runbook is below, as written.';
  const ran = report.cells.filter((c) => c.status !== 'not-run').length;
  const failed = report.cells.filter((c) => c.status === 'error' || c.status === 'cancelled').length;
  const cells = `${ran} of ${report.cells.length} cells ran${failed > 0 ? `, ${failed} failed or cancelled` : ''}`;
  const findings = report.evidence.length;
  if (!report.diagnosis) return `${cells}; no probe or check produced a finding.`;
  const problems =
    report.problems.length === 0
      ? 'no inconsistency measured'
      : `${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} found`;
  return `${cells}; ${findings} finding${findings === 1 ? '' : 's'}, worst ${report.diagnosis.severity}; ${problems}.`;
}

export function escalationText(report: IncidentReport): string | null {
  const e = report.diagnosis?.escalation;
  if (!e) return null;
  const elapsed =
    e.elapsedMinutes === null
      ? 'the incident opening time is not set (incident.opened)'
      : `${e.elapsedMinutes} min after the incident opened at the last execution`;
  return `${e.due ? 'overdue' : 'not yet due'}: limit ${e.limitMinutes} min for ${CONSISTENCY_TITLE[e.consistencyType].toLowerCase()}, ${elapsed}${e.contact ? `; contact ${e.contact}` : ''}`;
}

export function serverText(p: Provenance): string {
  return `${p.host}:${p.port}/${p.database}`;
}

export function recoveryText(p: Provenance): string {
  return p.inRecovery === undefined ? '—' : p.inRecovery ? 'standby' : 'primary';
}

export function runErrorText(run: ReportRun): string | null {
  return run.error ? describeSqlError(run.error) : null;
}

export function severitiesText(item: TimelineItem): string {
  return Object.entries(item.severities)
    .map(([severity, count]) => `${count} ${severity}`)
    .join(', ');
}

/** A fence longer than any run of backticks in the text, so the text cannot close it. */
export function fenceFor(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(longest + 1);
}

/** A runbook's headings moved down two levels (at most h6), so its `# Title` nests under the report's appendix. */
export function demoteHeadings(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
      return !fenced && /^#{1,4}\s/.test(line) ? `##${line}` : line;
    })
    .join('\n');
}
