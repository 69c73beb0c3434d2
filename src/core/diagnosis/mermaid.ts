import type { Chart, ChartNode } from './charts';
import type { NodeState, NodeStatus } from './model';
import { mermaidStyle, NODE_LOOK } from './palette';

/** Text from anywhere (a table or host name, a measured value) made inert inside a mermaid label. */
export function mermaidText(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/&/g, '#38;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/`/g, '#96;')
    .replace(/[\r\n]+/g, ' ');
}

const CLASSES = Object.fromEntries(
  Object.entries(NODE_LOOK).map(([state, look]) => [state, mermaidStyle(look)]),
) as Record<NodeState, string>;

const ICON: Partial<Record<NodeState, string>> = { ok: '🟢 ', warning: '🟡 ', critical: '🔴 ' };

/** A chart with its node states as a mermaid flowchart, one class per state; every label escaped. */
export function chartToMermaid(chart: Chart, states: Record<string, NodeStatus>): string {
  const lines = ['flowchart TD'];
  const grouped = new Set(chart.groups?.flatMap((g) => g.nodes));
  const nodeLine = (node: ChartNode, indent: string) =>
    `${indent}${node.id}${shape(node, label(node, states[node.id]))}`;
  for (const node of chart.nodes) if (!grouped.has(node.id)) lines.push(nodeLine(node, '  '));
  for (const group of chart.groups ?? []) {
    lines.push(`  subgraph ${group.id} ["${mermaidText(group.title)}"]`);
    for (const node of chart.nodes) if (group.nodes.includes(node.id)) lines.push(nodeLine(node, '    '));
    lines.push('  end', `  style ${group.id} fill:transparent,stroke:#9e9e9e`);
  }
  for (const [from, to] of chart.edges) lines.push(`  ${from} --> ${to}`);
  for (const [state, style] of Object.entries(CLASSES))
    lines.push(`  classDef ${cssName(state as NodeState)} ${style}`);
  const byState = new Map<NodeState, string[]>();
  for (const node of chart.nodes) {
    const state = states[node.id]?.state ?? 'not-visited';
    byState.set(state, [...(byState.get(state) ?? []), node.id]);
  }
  for (const [state, ids] of byState) lines.push(`  class ${ids.join(',')} ${cssName(state)}`);
  return lines.join('\n');
}

export function cssName(state: NodeState): string {
  return `cn-${state}`;
}

function label(node: ChartNode, status: NodeStatus | undefined): string {
  const parts = [`${ICON[status?.state ?? 'not-visited'] ?? ''}${mermaidText(node.title)}`];
  if (node.detail) parts.push(mermaidText(node.detail));
  for (const value of status?.values ?? [])
    parts.push(mermaidText(value.length > 80 ? `${value.slice(0, 80)}…` : value));
  if (node.budgetMin) parts.push(`⏱️ ${node.budgetMin} min`);
  return parts.join('<br/>');
}

function shape(node: ChartNode, text: string): string {
  switch (node.shape) {
    case 'decision':
      return `{"${text}"}`;
    case 'start':
      return `(["${text}"])`;
    case 'host':
      return `[("${text}")]`;
    default:
      return `["${text}"]`;
  }
}
