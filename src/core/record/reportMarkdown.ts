import { chartToMermaid, type ChartId } from '../diagnosis';
import { SEVERITY_ICON } from '../probes/render';
import { escapeMarkdownInline, escapeMarkdownProse, markdownTableCell } from '../util/escape';
import { formatDuration } from '../util/duration';
import type { IncidentReport, ReportCell, ReportMap, ReportRun } from './reportModel';
import * as text from './reportText';

export interface MarkdownReportOptions {
  /**
   * Where the SVG of each chart is written next to the report (a relative path), to link as an image. A chart
   * without one is drawn as a mermaid block instead, which GitHub and VS Code render.
   */
  svgFiles?: Partial<Record<ChartId, string>>;
}

const md = escapeMarkdownInline;
const cell = (value: string | null) => markdownTableCell(value);

/** The report as GitHub-flavoured Markdown; every value from the record escaped. */
export function renderReportMarkdown(report: IncidentReport, options: MarkdownReportOptions = {}): string {
  const sections = [
    header(report),
    diagnosis(report),
    maps(report.maps, options),
    actions(report),
    timeline(report),
    evidence(report),
    queries(report.cells),
    runbook(report),
  ];
  return `${sections.filter((s) => s !== '').join('\n\n')}\n`;
}

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function header(report: IncidentReport): string {
  const rows = text.headerFields(report);
  return [
    `# ${md(report.title)}`,
    table(
      ['Field', 'Value'],
      rows.map(([k, v]) => [k, v === null ? '*not set*' : cell(v)]),
    ),
    `## Summary\n\n${md(text.summaryText(report))}`,
  ].join('\n\n');
}

function diagnosis(report: IncidentReport): string {
  if (!report.diagnosis) return '';
  const lines = ['## Diagnosis'];
  if (report.problems.length === 0) lines.push('', `🟢 ${md(text.summaryText(report))}`);
  report.problems.forEach((problem, n) => {
    lines.push('', `### ${n + 1}. ${SEVERITY_ICON[problem.severity]} ${md(text.problemTitle(problem))}`);
    if (problem.evidence.length > 0)
      lines.push(
        '',
        ...problem.evidence.map(
          (f) => `- ${SEVERITY_ICON[f.severity]} **${md(f.probe)}** ${md(f.target)}: ${md(f.summary)}`,
        ),
      );
    if (problem.next)
      lines.push(
        '',
        `**Next:** ${md(problem.next.suggestion)}${problem.next.cell === null ? '' : ` (cell ${problem.next.cell + 1})`}`,
      );
  });
  const escalation = text.escalationText(report);
  if (escalation) lines.push('', `**Escalation:** ${md(escalation)}`);
  return lines.join('\n');
}

function maps(list: readonly ReportMap[], options: MarkdownReportOptions): string {
  if (list.length === 0) return '';
  const blocks = list.map(({ chart, states }) => {
    const file = options.svgFiles?.[chart.id];
    const body = file
      ? `![${md(chart.title)}](${encodeURI(file)})`
      : ['```mermaid', chartToMermaid(chart, states), '```'].join('\n');
    return `### ${md(chart.title)}\n\n${body}`;
  });
  return ['## Investigation map', ...blocks].join('\n\n');
}

function actions(report: IncidentReport): string {
  if (report.actions.length === 0) return '';
  const items = report.actions.map((a) => `- [ ] ${md(a.text)}${a.cell === null ? '' : ` (cell ${a.cell})`}`);
  return ['## Action items', items.join('\n')].join('\n\n');
}

function timeline(report: IncidentReport): string {
  if (report.timeline.length === 0) return '';
  const rows = report.timeline.map((t) => [
    cell(text.readableTime(t.time)),
    t.who === null ? '' : cell(t.who),
    t.cell === null ? '' : String(t.cell),
    cell(t.connections.join(', ')),
    cell(t.what),
    cell(text.severitiesText(t)),
  ]);
  return ['## Timeline', table(['Time', 'Who', 'Cell', 'Connections', 'What', 'Findings'], rows)].join('\n\n');
}

function evidence(report: IncidentReport): string {
  if (report.evidence.length === 0) return '';
  const rows = report.evidence.map((f) => [
    `${SEVERITY_ICON[f.severity]} ${f.severity}`,
    cell(f.probe),
    cell(f.target),
    cell(f.summary),
    String(f.cell),
  ]);
  return ['## Evidence', table(['Severity', 'Probe', 'Target', 'Summary', 'Cell'], rows)].join('\n\n');
}

function queries(cells: readonly ReportCell[]): string {
  if (cells.length === 0) return '';
  return ['## Queries and probes', ...cells.map(queryCell)].join('\n\n');
}

function queryCell(c: ReportCell): string {
  const fence = text.fenceFor(c.source);
  const when = c.startedAt ? ` · ${text.readableTime(c.startedAt)}` : '';
  const took = c.durationMs === null ? '' : ` · ${formatDuration(c.durationMs)}`;
  const parts = [
    `### Cell ${c.number}${c.step ? `: ${md(c.step)}` : ''}`,
    `${md(c.language)} · **${c.status}**${md(when)}${md(took)}`,
    `${fence}${c.language === 'sql' || c.language === 'cnprobe' ? c.language : ''}\n${c.source}\n${fence}`,
  ];
  if (c.error) parts.push(`> ❌ ${md(c.error)}`);
  if (c.runs.length > 0) parts.push(provenanceTable(c.runs));
  if (c.comparison) parts.push(`${c.comparison.agree ? '✅' : '⚠️'} ${md(c.comparison.summary)}`);
  for (const run of c.runs) parts.push(...runResult(run));
  if (c.findings.length > 0)
    parts.push(
      c.findings
        .map((f) => `- ${SEVERITY_ICON[f.severity]} **${md(f.probe)}** ${md(f.target)}: ${md(f.summary)}`)
        .join('\n'),
    );
  return parts.join('\n\n');
}

function provenanceTable(runs: readonly ReportRun[]): string {
  const rows = runs.map(({ provenance: p, connection, role }) => [
    cell(connection),
    cell(role),
    cell(text.serverText(p)),
    cell(p.serverVersion ?? null),
    text.recoveryText(p),
    cell(p.walLsn ?? null),
    cell(text.readableTime(p.startedAt)),
    cell(formatDuration(p.durationMs)),
    String(p.rowCount),
    cell(`${p.user} (${p.osUser})`),
    p.readOnly ? 'read-only' : '**read-write**',
  ]);
  return table(
    ['Connection', 'Role', 'Server', 'Version', 'Recovery', 'LSN', 'Started', 'Took', 'Rows', 'User (OS user)', 'Mode'],
    rows,
  );
}

function runResult(run: ReportRun): string[] {
  const error = text.runErrorText(run);
  if (error)
    return [
      `**${md(run.connection)}** failed:\n\n${error
        .split('\n')
        .map((l) => `> ${md(l)}`)
        .join('\n')}`,
    ];
  const r = run.result;
  if (!r) return [];
  if (r.columns.length === 0) return [`**${md(run.connection)}**: \`${md(r.command || 'OK')}\` ${r.rowCount} rows`];
  const more =
    r.rowsNotShown > 0
      ? `\n\n*${r.rowsNotShown} more row${r.rowsNotShown === 1 ? '' : 's'} not shown; sha256 of all rows ${r.hash}*`
      : '';
  return [
    `**${md(run.connection)}**: ${r.rowCount} row${r.rowCount === 1 ? '' : 's'}\n\n${table(
      r.columns.map((name) => cell(name) || ' '),
      r.rows.map((row) => row.map(cell)),
    )}${more}`,
  ];
}

function runbook(report: IncidentReport): string {
  if (report.runbookText.length === 0) return '';
  return [
    '## Appendix: the runbook',
    ...report.runbookText.map((t) => escapeMarkdownProse(text.demoteHeadings(t))),
  ].join('\n\n');
}
