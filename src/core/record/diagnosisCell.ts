import {
  allCharts,
  chartToMermaid,
  conclusionOf,
  chartOfType,
  CONSISTENCY_TITLE,
  type DiagnosedProblem,
  type Diagnosis,
  type HostInfo,
} from '../diagnosis';
import { SEVERITY_ICON } from '../probes/render';
import type { MarkdownCell, Notebook } from '../format/model';
import { escapeMarkdownInline } from '../util/escape';
import {
  applyRecordCellChange,
  findRecordCell,
  placeRecordCell,
  recordCellKind,
  type RecordCellChange,
} from './recordCells';

const MARKER = 'diagnosis';

/**
 * The one rule for writing the diagnosis into the record, for the CLI and VS Code alike: a notebook with
 * findings gets one Markdown cell holding the type, cause, next step and escalation in words, the highlighted
 * chart as a mermaid block, and the data in metadata. It is rewritten only when the conclusion changed, so
 * opening and saving a record without new findings keeps its bytes.
 */
export function diagnosisRecordChange(
  cells: readonly { metadata?: Record<string, unknown> | undefined }[],
  diagnosis: Diagnosis,
  hosts: HostInfo[],
  hasFindings: boolean,
): RecordCellChange {
  if (!hasFindings) return { kind: 'unchanged' };
  const existing = cells[findRecordCell(cells, 'diagnosis')];
  if (existing && sameConclusion(existing.metadata?.diagnosis, diagnosis)) return { kind: 'unchanged' };
  return placeRecordCell(cells, 'diagnosis', diagnosisCell(diagnosis, hosts));
}

/** Applies the record rule to a notebook held in memory (the CLI's). */
export function updateDiagnosisRecord(
  notebook: Notebook,
  diagnosis: Diagnosis,
  hosts: HostInfo[],
  hasFindings: boolean,
): RecordCellChange {
  const change = diagnosisRecordChange(notebook.cells, diagnosis, hosts, hasFindings);
  applyRecordCellChange(notebook, change);
  return change;
}

export function diagnosisCell(diagnosis: Diagnosis, hosts: HostInfo[]): MarkdownCell {
  return {
    kind: 'markdown',
    source: diagnosisMarkdown(diagnosis, hosts),
    metadata: { cnbook: MARKER, diagnosis: recordOf(diagnosis) },
  };
}

export function isDiagnosisCell(metadata: Record<string, unknown> | undefined): boolean {
  return recordCellKind(metadata) === 'diagnosis';
}

/** Whether a stored diagnosis says the same as a new one (times aside), so saving need not rewrite it. */
export function sameConclusion(stored: unknown, diagnosis: Diagnosis): boolean {
  const kinds = (d: Partial<Diagnosis>) => (d.problems ?? []).map((p) => [p.type, p.causeNode, p.severity]);
  // A next step's cell id is left out: a record written before cells had ids says the same with its index.
  const next = (d: Partial<Diagnosis>) => (d.next ? { ...d.next, cellId: undefined } : d.next);
  const pick = (d: Partial<Diagnosis>) =>
    JSON.stringify([d.consistencyType, d.rootCause, d.severity, d.path, next(d), kinds(d)]);
  return typeof stored === 'object' && stored !== null && pick(stored as Partial<Diagnosis>) === pick(diagnosis);
}

/** The conclusion kept in the cell's metadata; the evidence is in the outputs already. */
function recordOf(d: Diagnosis) {
  const { evidence: _evidence, ...conclusion } = conclusionOf(d);
  return { ...conclusion, problems: d.problems.map(({ evidence: _e, ...problem }) => problem) };
}

/** One of the other problems, as a list item: its kind and cause, then its own next step. */
function problemLine(p: DiagnosedProblem): string {
  const cell = p.next.cell === null ? '' : ` (cell ${p.next.cell + 1})`;
  const next = `next: ${escapeMarkdownInline(p.next.suggestion)}${cell}`;
  return `- ${SEVERITY_ICON[p.severity]} **${CONSISTENCY_TITLE[p.type]}**: ${escapeMarkdownInline(p.rootCause)}; ${next}`;
}

export function diagnosisMarkdown(d: Diagnosis, hosts: HostInfo[]): string {
  const chartId = chartOfType(d.consistencyType);
  const chart = allCharts(hosts).find((c) => c.id === chartId);
  const lines = [
    '## Diagnosis',
    '',
    `${SEVERITY_ICON[d.severity]} **${CONSISTENCY_TITLE[d.consistencyType]}**${d.rootCause ? `: ${escapeMarkdownInline(d.rootCause)}` : ''}`,
  ];
  if (d.next)
    lines.push(
      '',
      `**Next:** ${escapeMarkdownInline(d.next.suggestion)}${d.next.cell === null ? '' : ` (cell ${d.next.cell + 1} of the runbook)`}`,
    );
  if (d.escalation) {
    const e = d.escalation;
    const elapsed =
      e.elapsedMinutes === null
        ? 'incident opening time not set (incident.opened)'
        : `${e.elapsedMinutes} min since the incident opened`;
    lines.push(
      '',
      `**Escalation:** ${e.due ? '⏰ due now' : 'not yet due'}: limit ${e.limitMinutes} min, ${elapsed}${e.contact ? `, contact ${escapeMarkdownInline(e.contact)}` : ''}`,
    );
  }
  const others = d.problems.slice(1);
  if (others.length > 0) lines.push('', '**Also found:**', '', ...others.map(problemLine));
  lines.push('', `*Diagnosed at ${d.diagnosedAt}.*`);
  if (chart) lines.push('', '```mermaid', chartToMermaid(chart, d.charts[chart.id]), '```');
  return lines.join('\n');
}
