import { chartToSvg } from '../diagnosis/svg';
import type { Finding, Severity } from '../probes/types';
import { cutCellFinder, cutNote, type CutCell } from '../sql/cutValue';
import { isNumericType } from '../sql/pgTypes';
import { formatDuration } from '../util/duration';
import { escapeHtml } from '../util/escape';
import { REPORT_CSS } from './reportCss';
import type { IncidentReport, ReportCell, ReportProblem, ReportRun } from './reportModel';
import { proseToHtml } from './reportProse';
import {
  drawRows,
  provenanceTable,
  reportSections,
  type ReportSection,
  type SectionOf,
  type CellStyle,
  type TextTable,
} from './reportSections';
import * as text from './reportText';
import { runStatusWord } from '../run/statusWords';

/**
 * The report as one self-contained HTML file: inline CSS and inline SVG, no script, no remote resource (a
 * Content-Security-Policy says so to the browser too), and every value from the record through escapeHtml.
 */
export function renderReportHtml(report: IncidentReport): string {
  const body = reportSections(report).map(sectionHtml);
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

function sectionHtml(s: ReportSection): string {
  switch (s.kind) {
    case 'header':
      return header(s);
    case 'summary':
      return section('summary', s.title, `<p class="summary">${h(s.text)}</p>`);
    case 'diagnosis':
      return diagnosis(s);
    case 'map':
      return maps(s);
    case 'actions':
      return actions(s);
    case 'timeline':
      return section('timeline', s.title, textTable(s.table));
    case 'evidence':
      return section('evidence', s.title, textTable(s.table));
    case 'queries':
      return section('queries', s.title, s.cells.map(queryCell).join('\n'));
    case 'runbook':
      return section(
        'runbook',
        s.title,
        s.texts.map((t) => `<div class="prose">\n${proseToHtml(t)}\n</div>`).join('\n'),
      );
  }
}

function section(id: string, title: string, content: string): string {
  return `<section id="${id}">\n<h2>${h(title)}</h2>\n${content}\n</section>`;
}

function badge(severity: Severity): string {
  return `<span class="sev sev-${severity}">${severity}</span>`;
}

function value(v: string | null): string {
  return v === null ? '<span class="unset">not set</span>' : h(v);
}

function htmlTable(head: readonly string[], rows: string[][], numeric: boolean[] = []): string {
  const th = head.map((c) => `<th>${c}</th>`).join('');
  const tr = rows.map(
    (r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`,
  );
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${tr.join('\n')}\n</tbody>\n</table>`;
}

const CELL_STYLE: CellStyle = { text: value, strong: (v) => `<strong>${h(v)}</strong>`, severity: badge };

function textTable(t: TextTable): string {
  return htmlTable(t.head, drawRows(t, CELL_STYLE));
}

function header({ title, fields }: SectionOf<'header'>): string {
  return [
    '<header>',
    `<h1>${h(title)}</h1>`,
    `<dl class="fields">${fields.map(([k, v]) => `<dt>${h(k)}</dt><dd>${value(v)}</dd>`).join('')}</dl>`,
    '</header>',
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

function diagnosis({ title, problems, escalation }: SectionOf<'diagnosis'>): string {
  const parts = [
    problems.length === 0 ? `<p>${badge('ok')} No inconsistency measured.</p>` : '',
    ...problems.map(problemHtml),
    escalation ? `<p><strong>Escalation:</strong> ${h(escalation)}</p>` : '',
  ];
  return section('diagnosis', title, parts.filter(Boolean).join('\n'));
}

function maps({ title, maps: list }: SectionOf<'map'>): string {
  const figures = list.map(
    ({ chart, states }) => `<h3>${h(chart.title)}</h3>\n<figure>\n${chartToSvg(chart, states)}\n</figure>`,
  );
  return section('map', title, figures.join('\n'));
}

function actions({ title, items: list }: SectionOf<'actions'>): string {
  const items = list.map(
    (a) => `<li>${h(a.text)}${a.cell === null ? '' : ` <span class="note">(cell ${a.cell})</span>`}</li>`,
  );
  return section('actions', title, `<ul class="actions">${items.join('\n')}</ul>`);
}

function queryCell(c: ReportCell): string {
  const meta = [
    c.language,
    runStatusWord(c.status),
    c.startedAt ? text.readableTime(c.startedAt) : null,
    c.durationMs === null ? null : formatDuration(c.durationMs),
  ].filter((m): m is string => m !== null);
  return [
    `<article class="cell" id="cell-${c.number}">`,
    `<h3>Cell ${c.number}${c.step ? `: ${h(c.step)}` : ''}</h3>`,
    `<p class="cell-meta">${h(meta.join(' · '))}</p>`,
    `<pre><code>${h(c.source)}</code></pre>`,
    c.error ? `<p class="error">${h(c.error)}</p>` : '',
    c.runs.length > 0 ? textTable(provenanceTable(c.runs)) : '',
    c.comparison ? `<p>${c.comparison.agree ? '✅' : '⚠️'} ${h(c.comparison.summary)}</p>` : '',
    ...c.runs.map(runResult),
    c.findings.length > 0 ? findingList(c.findings) : '',
    '</article>',
  ]
    .filter(Boolean)
    .join('\n');
}

function runResult(run: ReportRun): string {
  const error = text.runErrorText(run);
  if (error) return `<p><strong>${h(run.connection)}</strong> failed:</p><p class="error">${h(error)}</p>`;
  const r = run.result;
  if (!r) return '';
  const title = `<p><strong>${h(run.connection)}</strong>: ${r.rowCount} row${r.rowCount === 1 ? '' : 's'}</p>`;
  if (r.columns.length === 0)
    return `<p><strong>${h(run.connection)}</strong>: <code>${h(r.command || 'OK')}</code> ${r.rowCount} rows</p>`;
  const cutAt = cutCellFinder(r.cutCells);
  const rows = r.rows.map((row, i) => row.map((v, c) => htmlValue(v, cutAt(i, c))));
  const numeric = r.columnTypes.map(isNumericType);
  const more =
    r.rowsNotShown > 0
      ? `<p class="note">${r.rowsNotShown} more row${r.rowsNotShown === 1 ? '' : 's'} not shown; sha256 of all rows <span class="mono">${h(r.hash)}</span></p>`
      : '';
  return `${title}\n${htmlTable(r.columns.map(h), rows, numeric)}${more}`;
}

/** A stored value, NULL marked, a cut one followed by what was cut. */
function htmlValue(value: string | null, cut: CutCell | undefined): string {
  if (value === null) return '<span class="unset">NULL</span>';
  return cut ? `${h(value)}… <span class="note">(${h(cutNote(cut))})</span>` : h(value);
}
