import { allCharts, type HostInfo } from './charts';
import { chartToMermaid } from './mermaid';
import { CONSISTENCY_TITLE, type Diagnosis, type NodeState } from './model';

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
  focus: string;
}

export function buildMapState(diagnosis: Diagnosis, hosts: HostInfo[]): MapState {
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
  const focus =
    diagnosis.consistencyType === 'none' || diagnosis.consistencyType === 'unknown'
      ? 'overall'
      : diagnosis.consistencyType;
  const escalation = diagnosis.escalation?.due
    ? ` · escalate now${diagnosis.escalation.contact ? ` to ${diagnosis.escalation.contact}` : ''}`
    : '';
  return {
    charts,
    focus,
    headline: `${CONSISTENCY_TITLE[diagnosis.consistencyType]}${diagnosis.rootCause ? `: ${diagnosis.rootCause}` : ''}${escalation}`,
    next: diagnosis.next?.suggestion ?? null,
    nextCell: diagnosis.next?.cell ?? null,
  };
}
