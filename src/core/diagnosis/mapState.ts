import { allCharts, type HostInfo } from './charts';
import { chartToMermaid } from './mermaid';
import type { Severity } from '../probes/types';
import { escalationLine } from './escalation';
import { chartOfType, CONSISTENCY_TITLE, type Diagnosis, type Escalation, type NodeState } from './model';

/** What the Investigation Map shows: every chart as mermaid text with its node states and hover evidence. */
export interface MapChart {
  id: string;
  title: string;
  mermaid: string;
  nodes: Record<string, { state: NodeState; evidence: string[] }>;
}

export interface MapState {
  charts: MapChart[];
  headline: string;
  next: string | null;
  /** The runbook cell (notebook index) the next step points at, for a link from the map. */
  nextCell: number | null;
  /** That cell's stable id: what the link goes by, so it finds the cell after cells moved. */
  nextCellId: string | null;
  focus: string;
  /** Every problem found, the primary first: the map switches to a problem's chart when one is chosen. */
  problems: { title: string; chart: string; severity: Severity; next: string; nextCell: number | null }[];
  /** Time left before the guide's escalation limit, or overdue and whom to call; null before a type is known. */
  escalation: { line: string; due: boolean } | null;
}

/** `escalation` is the incident's standing now (the diagnosis' own may be minutes old on a live map). */
export function buildMapState(
  diagnosis: Diagnosis,
  hosts: HostInfo[],
  escalation: Escalation | null = diagnosis.escalation,
): MapState {
  const charts = allCharts(hosts).map((chart): MapChart => {
    const states = diagnosis.charts[chart.id];
    const nodes = Object.fromEntries(
      chart.nodes.map((n) => {
        const status = states[n.id];
        const evidence = (status?.findings ?? []).map(
          (f) => `${f.severity.toUpperCase()} ${f.probe} ${f.target}: ${f.summary}`,
        );
        return [n.id, { state: status?.state ?? 'not-visited', evidence }];
      }),
    );
    return { id: chart.id, title: chart.title, mermaid: chartToMermaid(chart, states), nodes };
  });
  const focus = chartOfType(diagnosis.consistencyType);
  const overdue = escalation?.due ? ` · escalate now${escalation.contact ? ` to ${escalation.contact}` : ''}` : '';
  return {
    charts,
    focus,
    headline: `${CONSISTENCY_TITLE[diagnosis.consistencyType]}${diagnosis.rootCause ? `: ${diagnosis.rootCause}` : ''}${overdue}`,
    next: diagnosis.next?.suggestion ?? null,
    nextCell: diagnosis.next?.cell ?? null,
    nextCellId: diagnosis.next?.cellId ?? null,
    escalation: escalation ? { line: escalationLine(escalation), due: escalation.due } : null,
    problems: diagnosis.problems.map((p) => ({
      title: `${CONSISTENCY_TITLE[p.type]}: ${p.rootCause}`,
      chart: chartOfType(p.type),
      severity: p.severity,
      next: p.next.suggestion,
      nextCell: p.next.cell,
    })),
  };
}
