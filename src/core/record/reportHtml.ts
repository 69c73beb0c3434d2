import { chartToSvg } from '../diagnosis/svg';
import type { Finding, Severity } from '../probes/types';
import { isNumericType } from '../sql/pgTypes';
import { formatDuration } from '../util/duration';
import { escapeHtml } from '../util/escape';
import { REPORT_CSS } from './reportCss';
import type { IncidentReport, ReportCell, ReportProblem, ReportRun } from './reportModel';
import { proseToHtml } from './reportProse';
import * as text from './reportText';

/**
 * The report as one self-contained HTML file: inline CSS and inline SVG, no script, no remote resource (a
 * Content-Security-Policy says so to the browser too), and every value from the record through escapeHtml.
 */
export function renderReportHtml(report: IncidentReport): string {
  const body = [
    header(report),
    diagnosis(report),
    maps(report),
    actions(report),
    timeline(report),
    evidence(report),
    queries(report.cells),
    runbook(report),
  ].filter((s) => s !== '');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<title>${h(report.title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    ...body,
    '<footer>Exported by cnbook from the incident record. Times are UTC.</footer>',
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const h = escapeHtml;

function section(id: string, title: string, content: string): string {
  return `<section id="${id}">\n<h2>${h(title)}</h2>\n${content}\n</section>`;
}

function badge(severity: Severity): string {
  return `<span class="sev sev-${severity}">${severity}</span>`;
}

function value(v: string | null): string {
  return v === null ? '<span class="unset">not set</span>' : h(v);
}

function htmlTable(head: string[], rows: string[][], numeric: boolean[] = []): string {
  const th = head.map((c) => `<th>${c}</th>`).join('');
  const tr = rows.map(
    (r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`,
  );
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${tr.join('\n')}\n</tbody>\n</table>`;
}

function header(report: IncidentReport): string {
  const fields = text.headerFields(report);
  return [
    '<header>',
    `<h1>${h(report.title)}</h1>`,
    `<dl class="fields">${fields.map(([k, v]) => `<dt>${h(k)}</dt><dd>${value(v)}</dd>`).join('')}</dl>`,
    '</header>',
    section('summary', 'Summary', `<p class="summary">${h(text.summaryText(report))}</p>`),
  ].join('\n');
}

function findingList(findings: readonly Finding[]): string {
  const items = findings.map(
    (f) => `<li>${badge(f.severity)} <strong>${h(f.probe)}</strong> ${h(f.target)}: ${h(f.summary)}</li>`,
  );
  return `<ul class="findings">${items.join('')}</ul>`;
}

function problemHtml(problem: ReportProblem, n: number): string {
  const next = problem.next
    ? `<p><strong>Next:</strong> ${h(problem.next.suggestion)}${problem.next.cell === null ? '' : ` (cell ${problem.next.cell + 1})`}</p>`
    : '';
  return [
    `<article class="problem sev-${problem.severity}">`,
    `<h3>${n + 1}. ${badge(problem.severity)} ${h(text.problemTitle(problem))}</h3>`,
    problem.evidence.length > 0 ? findingList(problem.evidence) : '',
    next,
    '</article>',
  ].join('\n');
}

function diagnosis(report: IncidentReport): string {
  if (!report.diagnosis) return '';
  const escalation = text.escalationText(report);
  const parts = [
    report.problems.length === 0 ? `<p>${badge('ok')} No inconsistency measured.</p>` : '',
    ...report.problems.map(problemHtml),
    escalation ? `<p><strong>Escalation:</strong> ${h(escalation)}</p>` : '',
  ];
  return section('diagnosis', 'Diagnosis', parts.filter(Boolean).join('\n'));
}

function maps(report: IncidentReport): string {
  if (report.maps.length === 0) return '';
  const figures = report.maps.map(
    ({ chart, states }) => `<h3>${h(chart.title)}</h3>\n<figure>\n${chartToSvg(chart, states)}\n</figure>`,
  );
  return section('map', 'Investigation map', figures.join('\n'));
}

function actions(report: IncidentReport): string {
  if (report.actions.length === 0) return '';
  const items = report.actions.map(
    (a) => `<li>${h(a.text)}${a.cell === null ? '' : ` <span class="note">(cell ${a.cell})</span>`}</li>`,
  );
  return section('actions', 'Action items', `<ul class="actions">${items.join('\n')}</ul>`);
}

function timeline(report: IncidentReport): string {
  if (report.timeline.length === 0) return '';
  const rows = report.timeline.map((t) => [
    h(text.readableTime(t.time)),
    t.who === null ? '' : h(t.who),
    t.cell === null ? '' : String(t.cell),
    h(t.connections.join(', ')),
    h(t.what),
    h(text.severitiesText(t)),
  ]);
  return section('timeline', 'Timeline', htmlTable(['Time', 'Who', 'Cell', 'Connections', 'What', 'Findings'], rows));
}

function evidence(report: IncidentReport): string {
  if (report.evidence.length === 0) return '';
  const rows = report.evidence.map((f) => [badge(f.severity), h(f.probe), h(f.target), h(f.summary), String(f.cell)]);
  return section('evidence', 'Evidence', htmlTable(['Severity', 'Probe', 'Target', 'Summary', 'Cell'], rows));
}

function queries(cells: readonly ReportCell[]): string {
  if (cells.length === 0) return '';
  return section('queries', 'Queries and probes', cells.map(queryCell).join('\n'));
}

function queryCell(c: ReportCell): string {
  const meta = [
    c.language,
    c.status,
    c.startedAt ? text.readableTime(c.startedAt) : null,
    c.durationMs === null ? null : formatDuration(c.durationMs),
  ].filter((m): m is string => m !== null);
  return [
    `<article class="cell" id="cell-${c.number}">`,
    `<h3>Cell ${c.number}${c.step ? `: ${h(c.step)}` : ''}</h3>`,
    `<p class="cell-meta">${h(meta.join(' · '))}</p>`,
    `<pre><code>${h(c.source)}</code></pre>`,
    c.error ? `<p class="error">${h(c.error)}</p>` : '',
    c.runs.length > 0 ? provenanceTable(c.runs) : '',
    c.comparison ? `<p>${c.comparison.agree ? '✅' : '⚠️'} ${h(c.comparison.summary)}</p>` : '',
    ...c.runs.map(runResult),
    c.findings.length > 0 ? findingList(c.findings) : '',
    '</article>',
  ]
    .filter(Boolean)
    .join('\n');
}

function provenanceTable(runs: readonly ReportRun[]): string {
  const rows = runs.map(({ provenance: p, connection, role }) => [
    h(connection),
    value(role),
    h(text.serverText(p)),
    value(p.serverVersion ?? null),
    h(text.recoveryText(p)),
    value(p.walLsn ?? null),
    h(text.readableTime(p.startedAt)),
    h(formatDuration(p.durationMs)),
    String(p.rowCount),
    h(`${p.user} (${p.osUser})`),
    p.readOnly ? 'read-only' : '<strong>read-write</strong>',
  ]);
  const head = [
    'Connection',
    'Role',
    'Server',
    'Version',
    'Recovery',
    'LSN',
    'Started',
    'Took',
    'Rows',
    'User (OS user)',
    'Mode',
  ];
  return htmlTable(head, rows);
}

function runResult(run: ReportRun): string {
  const error = text.runErrorText(run);
  if (error) return `<p><strong>${h(run.connection)}</strong> failed:</p><p class="error">${h(error)}</p>`;
  const r = run.result;
  if (!r) return '';
  const title = `<p><strong>${h(run.connection)}</strong>: ${r.rowCount} row${r.rowCount === 1 ? '' : 's'}</p>`;
  if (r.columns.length === 0)
    return `<p><strong>${h(run.connection)}</strong>: <code>${h(r.command || 'OK')}</code> ${r.rowCount} rows</p>`;
  const rows = r.rows.map((row) => row.map((v) => (v === null ? '<span class="unset">NULL</span>' : h(v))));
  const numeric = r.columnTypes.map(isNumericType);
  const more =
    r.rowsNotShown > 0
      ? `<p class="note">${r.rowsNotShown} more row${r.rowsNotShown === 1 ? '' : 's'} not shown; sha256 of all rows <span class="mono">${h(r.hash)}</span></p>`
      : '';
  return `${title}\n${htmlTable(r.columns.map(h), rows, numeric)}${more}`;
}

function runbook(report: IncidentReport): string {
  if (report.runbookText.length === 0) return '';
  const blocks = report.runbookText.map((t) => `<div class="prose">\n${proseToHtml(t)}\n</div>`);
  return section('runbook', 'Appendix: the runbook', blocks.join('\n'));
}
