import { allCharts, chartToMermaid, CONSISTENCY_TITLE, type Diagnosis, type HostInfo } from '../diagnosis';
import { SEVERITY_ICON } from '../probes/render';
import type { MarkdownCell, Notebook } from '../format/model';
import { escapeMarkdownInline } from '../util/escape';

const MARKER = 'diagnosis';

/**
 * Puts the diagnosis into the record: one Markdown cell, replaced on every run, holding the type, cause,
 * next step and escalation in words, the highlighted chart as a mermaid block, and the data in metadata.
 */
export function upsertDiagnosisCell(notebook: Notebook, diagnosis: Diagnosis, hosts: HostInfo[]): void {
  const cell = diagnosisCell(diagnosis, hosts);
  const index = notebook.cells.findIndex((c) => c.metadata?.cnbook === MARKER);
  if (index >= 0)
    notebook.cells[index] = {
      ...cell,
      ...(notebook.cells[index]?.layout ? { layout: notebook.cells[index]?.layout } : {}),
    };
  else notebook.cells.push(cell);
}

export function diagnosisCell(diagnosis: Diagnosis, hosts: HostInfo[]): MarkdownCell {
  return {
    kind: 'markdown',
    source: diagnosisMarkdown(diagnosis, hosts),
    metadata: { cnbook: MARKER, diagnosis: recordOf(diagnosis) },
  };
}

export function isDiagnosisCell(metadata: Record<string, unknown> | undefined): boolean {
  return metadata?.cnbook === MARKER;
}

/** Whether a stored diagnosis says the same as a new one (times aside), so saving need not rewrite it. */
export function sameConclusion(stored: unknown, diagnosis: Diagnosis): boolean {
  const pick = (d: Partial<Diagnosis>) => JSON.stringify([d.consistencyType, d.rootCause, d.severity, d.path, d.next]);
  return typeof stored === 'object' && stored !== null && pick(stored as Partial<Diagnosis>) === pick(diagnosis);
}

function recordOf(d: Diagnosis) {
  return {
    consistencyType: d.consistencyType,
    rootCause: d.rootCause,
    severity: d.severity,
    path: d.path,
    next: d.next,
    escalation: d.escalation,
    diagnosedAt: d.diagnosedAt,
  };
}

export function diagnosisMarkdown(d: Diagnosis, hosts: HostInfo[]): string {
  const chartId = d.consistencyType === 'none' || d.consistencyType === 'unknown' ? 'overall' : d.consistencyType;
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
  lines.push('', `*Diagnosed at ${d.diagnosedAt}.*`);
  if (chart) lines.push('', '```mermaid', chartToMermaid(chart, d.charts[chart.id]), '```');
  return lines.join('\n');
}
