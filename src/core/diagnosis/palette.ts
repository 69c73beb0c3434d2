import type { NodeState } from './model';

/** How a node of the map looks in each state: one palette for the mermaid chart and the SVG drawn without a browser. */
export interface NodeLook {
  fill: string;
  stroke: string;
  text: string;
  strokeWidth: number;
  dashed: boolean;
}

export const NODE_LOOK: Record<NodeState, NodeLook> = {
  'not-visited': { fill: '#f4f4f4', stroke: '#9e9e9e', text: '#616161', strokeWidth: 1, dashed: true },
  visited: { fill: '#e3f2fd', stroke: '#1e88e5', text: '#0d47a1', strokeWidth: 1, dashed: false },
  current: { fill: '#fff8e1', stroke: '#ff8f00', text: '#3e2723', strokeWidth: 3, dashed: false },
  ok: { fill: '#e8f5e9', stroke: '#2e7d32', text: '#1b5e20', strokeWidth: 1, dashed: false },
  warning: { fill: '#fff3e0', stroke: '#ef6c00', text: '#e65100', strokeWidth: 2, dashed: false },
  critical: { fill: '#ffebee', stroke: '#c62828', text: '#b71c1c', strokeWidth: 3, dashed: false },
};

/** A look as a mermaid classDef style. */
export function mermaidStyle(look: NodeLook): string {
  return [
    `fill:${look.fill}`,
    `stroke:${look.stroke}`,
    `color:${look.text}`,
    ...(look.dashed ? ['stroke-dasharray:3 3'] : []),
    ...(look.strokeWidth > 1 ? [`stroke-width:${look.strokeWidth}px`] : []),
  ].join(',');
}
