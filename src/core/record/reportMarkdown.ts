import { chartToMermaid, type ChartId } from '../diagnosis';
import { SEVERITY_ICON } from '../probes/render';
import { escapeMarkdownInline, escapeMarkdownProse, markdownTableCell } from '../util/escape';
import { cutCellFinder } from '../sql/cutValue';
import { cutMarkdownCell } from '../sql/render';
import { formatDuration } from '../util/duration';
import type { IncidentReport, ReportCell, ReportRun } from './reportModel';
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
  return `${reportSections(report)
    .map((s) => section(s, options))
    .join('\n\n')}\n`;
}

function section(s: ReportSection, options: MarkdownReportOptions): string {
  switch (s.kind) {
    case 'header':
      return header(s);
    case 'summary':
      return `## ${s.title}\n\n${md(s.text)}`;
    case 'diagnosis':
      return diagnosis(s);
    case 'map':
      return maps(s, options);
    case 'actions':
      return actions(s);
    case 'timeline':
    case 'evidence':
      return [`## ${s.title}`, textTable(s.table)].join('\n\n');
    case 'queries':
      return [`## ${s.title}`, ...s.cells.map(queryCell)].join('\n\n');
    case 'runbook':
      return [`## ${s.title}`, ...s.texts.map((t) => escapeMarkdownProse(text.demoteHeadings(t)))].join('\n\n');
  }
}

function table(head: readonly string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

const CELL_STYLE: CellStyle = {
  text: cell,
  strong: (value) => `**${cell(value)}**`,
  severity: (severity) => `${SEVERITY_ICON[severity]} ${severity}`,
};

function textTable(t: TextTable): string {
  return table(t.head, drawRows(t, CELL_STYLE));
}

function header({ title, fields }: SectionOf<'header'>): string {
  return [
    `# ${md(title)}`,
    table(
      ['Field', 'Value'],
      fields.map(([k, v]) => [k, v === null ? '*not set*' : cell(v)]),
    ),
  ].join('\n\n');
}

function diagnosis({ title, problems, summary, escalation }: SectionOf<'diagnosis'>): string {
  const lines = [`## ${title}`];
  if (problems.length === 0) lines.push('', `🟢 ${md(summary)}`);
  problems.forEach((problem, n) => {
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
  if (escalation) lines.push('', `**Escalation:** ${md(escalation)}`);
  return lines.join('\n');
}

function maps({ title, maps: list }: SectionOf<'map'>, options: MarkdownReportOptions): string {
  const blocks = list.map(({ chart, states }) => {
    const file = options.svgFiles?.[chart.id];
    const body = file
      ? `![${md(chart.title)}](${encodeURI(file)})`
      : ['```mermaid', chartToMermaid(chart, states), '```'].join('\n');
    return `### ${md(chart.title)}\n\n${body}`;
  });
  return [`## ${title}`, ...blocks].join('\n\n');
}

function actions({ title, items: list }: SectionOf<'actions'>): string {
  const items = list.map((a) => `- [ ] ${md(a.text)}${a.cell === null ? '' : ` (cell ${a.cell})`}`);
  return [`## ${title}`, items.join('\n')].join('\n\n');
}

function queryCell(c: ReportCell): string {
  const fence = text.fenceFor(c.source);
  const when = c.startedAt ? ` · ${text.readableTime(c.startedAt)}` : '';
  const took = c.durationMs === null ? '' : ` · ${formatDuration(c.durationMs)}`;
  const parts = [
    `### Cell ${c.number}${c.step ? `: ${md(c.step)}` : ''}`,
    `${md(c.language)} · **${runStatusWord(c.status)}**${md(when)}${md(took)}`,
    `${fence}${c.language === 'sql' || c.language === 'cnprobe' ? c.language : ''}\n${c.source}\n${fence}`,
  ];
  if (c.error) parts.push(`> ❌ ${md(c.error)}`);
  if (c.runs.length > 0) parts.push(textTable(provenanceTable(c.runs)));
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
  const cutAt = cutCellFinder(r.cutCells);
  const more =
    r.rowsNotShown > 0
      ? `\n\n*${r.rowsNotShown} more row${r.rowsNotShown === 1 ? '' : 's'} not shown; sha256 of all rows ${r.hash}*`
      : '';
  return [
    `**${md(run.connection)}**: ${r.rowCount} row${r.rowCount === 1 ? '' : 's'}\n\n${table(
      r.columns.map((name) => cell(name) || ' '),
      r.rows.map((row, i) => row.map((v, c) => cutMarkdownCell(v, cutAt(i, c)))),
    )}${more}`,
  ];
}
