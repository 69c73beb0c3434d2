import { escapeXml } from '../util/escape';
import type { Chart, ChartGroup, ChartNode } from './charts';
import type { NodeState, NodeStatus } from './model';
import { NODE_LOOK, type NodeLook } from './palette';
import { layoutChart, type Placed } from './svgLayout';

/**
 * A chart with its node states as a standalone SVG, drawn without a browser (for the exported report): the
 * same colours as the map, the measured values in the labels, the evidence as each node's tooltip, the hosts
 * of the profile as one box. Every label is escaped for XML; the output is the same for the same input.
 */
export function chartToSvg(chart: Chart, states: Record<string, NodeStatus>): string {
  const grouped = new Set(chart.groups?.flatMap((g) => g.nodes));
  const nodes = chart.nodes.filter((n) => !grouped.has(n.id));
  const groups = (chart.groups ?? []).filter((g) => g.nodes.length > 0);
  const boxes = new Map<string, Drawn>([
    ...nodes.map((n): [string, Drawn] => [n.id, nodeBox(n, states[n.id])]),
    ...groups.map((g): [string, Drawn] => [g.id, groupBox(g, chart.nodes, states)]),
  ]);
  const edges = chart.edges.filter(([from, to]) => boxes.has(from) && boxes.has(to));
  const layout = layoutChart({ ids: [...boxes.keys()], edges, size: (id) => boxes.get(id)?.size ?? EMPTY });
  const legendY = layout.height;
  const height = legendY + LEGEND_HEIGHT;
  const arrow = `cn-arrow-${chart.id}`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="cn-map" role="img" viewBox="0 0 ${layout.width} ${height}" width="${layout.width}" height="${height}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="${FONT}">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<defs><marker id="${arrow}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#757575"/></marker></defs>`,
    ...edges.map(([from, to]) =>
      edgePath(layout.boxes.get(from), layout.boxes.get(to), arrow, walked(boxes, from, to)),
    ),
    ...[...boxes.entries()].map(([id, drawn]) => drawn.draw(layout.boxes.get(id) ?? ORIGIN)),
    legend(legendY, layout.width),
    '</svg>',
  ];
  return parts.join('\n');
}

interface Drawn {
  size: { width: number; height: number };
  state: NodeState;
  draw(at: Placed): string;
}

const FONT = 12;
const LINE = 15;
const PAD = 8;
const NODE_WIDTH = 216;
const CHARS_PER_LINE = 28;
const MAX_VALUES = 3;
const LEGEND_HEIGHT = 28;
const EMPTY = { width: 0, height: 0 };
const ORIGIN: Placed = { x: 0, y: 0, width: 0, height: 0 };
const STATE_WORD: Record<NodeState, string> = {
  'not-visited': 'not visited',
  visited: 'visited',
  current: 'next step',
  ok: 'ok',
  warning: 'warning',
  critical: 'critical',
};

interface TextLine {
  text: string;
  bold?: boolean;
}

function labelLines(node: ChartNode, status: NodeStatus | undefined): TextLine[] {
  const lines: TextLine[] = wrap(node.title).map((text) => ({ text, bold: true }));
  if (node.detail) lines.push(...wrap(node.detail).map((text) => ({ text })));
  const values = status?.values ?? [];
  for (const value of values.slice(0, MAX_VALUES)) lines.push(...wrap(value, 2).map((text) => ({ text })));
  if (values.length > MAX_VALUES) lines.push({ text: `+${values.length - MAX_VALUES} more` });
  if (node.budgetMin) lines.push({ text: `⏱ ${node.budgetMin} min` });
  return lines;
}

/** Words over lines of at most CHARS_PER_LINE characters (a long word is cut), at most maxLines (then …). */
export function wrap(text: string, maxLines = 3): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.replace(/\s+/g, ' ').trim().split(' ')) {
    for (let rest = word; rest.length > 0;) {
      const room = line === '' ? CHARS_PER_LINE : CHARS_PER_LINE - line.length - 1;
      if (rest.length <= room) {
        line = line === '' ? rest : `${line} ${rest}`;
        rest = '';
      } else if (line !== '') {
        lines.push(line);
        line = '';
      } else {
        lines.push(rest.slice(0, CHARS_PER_LINE));
        rest = rest.slice(CHARS_PER_LINE);
      }
    }
  }
  if (line !== '') lines.push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = `${(kept[maxLines - 1] ?? '').slice(0, CHARS_PER_LINE - 1)}…`;
  return kept;
}

function tooltip(title: string, state: NodeState, status: NodeStatus | undefined): string {
  const evidence = (status?.findings ?? []).map(
    (f) => `${f.severity.toUpperCase()} ${f.probe} ${f.target}: ${f.summary}`,
  );
  return `<title>${escapeXml([`${title} (${STATE_WORD[state]})`, ...evidence].join('\n'))}</title>`;
}

function nodeBox(node: ChartNode, status: NodeStatus | undefined): Drawn {
  const state = status?.state ?? 'not-visited';
  const look = NODE_LOOK[state];
  const lines = labelLines(node, status);
  const size = { width: NODE_WIDTH, height: lines.length * LINE + 2 * PAD };
  return {
    size,
    state,
    draw: (at) =>
      [
        `<g class="cn-node cn-${state}" data-node="${escapeXml(node.id)}">`,
        tooltip(node.title, state, status),
        outline(node.shape, at, look),
        text(lines, at.x + at.width / 2, at.y + PAD, look.text),
        '</g>',
      ].join(''),
  };
}

function groupBox(group: ChartGroup, all: readonly ChartNode[], states: Record<string, NodeStatus>): Drawn {
  const members = all.filter((n) => group.nodes.includes(n.id));
  const rows = members.map((n) => ({ node: n, status: states[n.id], lines: hostLines(n, states[n.id]) }));
  const rowHeights = rows.map((r) => r.lines.length * LINE + PAD);
  const height = LINE + 2 * PAD + rowHeights.reduce((a, b) => a + b + PAD / 2, 0);
  const states_ = rows.map((r) => r.status?.state ?? 'not-visited');
  return {
    size: { width: NODE_WIDTH + 2 * PAD, height },
    state: states_.some((s) => s !== 'not-visited') ? 'visited' : 'not-visited',
    draw: (at) => {
      const parts = [
        `<g class="cn-group" data-node="${escapeXml(group.id)}">`,
        `<rect x="${at.x}" y="${at.y}" width="${at.width}" height="${at.height}" rx="6" fill="none" stroke="#9e9e9e" stroke-dasharray="4 3"/>`,
        text([{ text: group.title, bold: true }], at.x + at.width / 2, at.y + PAD, 'currentColor'),
      ];
      let y = at.y + PAD + LINE + PAD / 2;
      rows.forEach((row, i) => {
        const state = states_[i] ?? 'not-visited';
        const look = NODE_LOOK[state];
        const box = { x: at.x + PAD, y, width: NODE_WIDTH, height: rowHeights[i] ?? 0 };
        parts.push(
          `<g class="cn-node cn-${state}" data-node="${escapeXml(row.node.id)}">`,
          tooltip(row.node.title, state, row.status),
          outline('host', box, look),
          text(row.lines, box.x + box.width / 2, box.y + PAD / 2, look.text),
          '</g>',
        );
        y += box.height + PAD / 2;
      });
      parts.push('</g>');
      return parts.join('');
    },
  };
}

function hostLines(node: ChartNode, status: NodeStatus | undefined): TextLine[] {
  const title = node.detail ? `${node.title} (${node.detail})` : node.title;
  const lines: TextLine[] = wrap(title, 2).map((text) => ({ text, bold: true }));
  for (const value of (status?.values ?? []).slice(0, MAX_VALUES))
    lines.push(...wrap(value, 2).map((text) => ({ text })));
  return lines;
}

function outline(shape: ChartNode['shape'], at: Placed, look: NodeLook): string {
  const paint = `fill="${look.fill}" stroke="${look.stroke}" stroke-width="${look.strokeWidth}"${look.dashed ? ' stroke-dasharray="3 3"' : ''}`;
  const { x, y, width: w, height: h } = at;
  if (shape === 'decision') {
    const points = [
      [x + 14, y],
      [x + w - 14, y],
      [x + w, y + h / 2],
      [x + w - 14, y + h],
      [x + 14, y + h],
      [x, y + h / 2],
    ];
    return `<polygon points="${points.map(([px, py]) => `${px},${py}`).join(' ')}" ${paint}/>`;
  }
  const radius = shape === 'start' ? Math.min(18, h / 2) : 4;
  return `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${radius}" ${paint}/>`;
}

function text(lines: TextLine[], centreX: number, top: number, colour: string): string {
  const spans = lines.map(
    (line, i) =>
      `<tspan x="${centreX}" y="${top + (i + 1) * LINE - 3}"${line.bold ? ' font-weight="bold"' : ''}>${escapeXml(line.text)}</tspan>`,
  );
  return `<text text-anchor="middle" fill="${colour}">${spans.join('')}</text>`;
}

function walked(boxes: Map<string, Drawn>, from: string, to: string): boolean {
  return boxes.get(from)?.state !== 'not-visited' && boxes.get(to)?.state !== 'not-visited';
}

function edgePath(from: Placed | undefined, to: Placed | undefined, arrow: string, onPath: boolean): string {
  if (!from || !to) return '';
  const [sx, sy] = [from.x + from.width / 2, from.y + from.height];
  const [tx, ty] = [to.x + to.width / 2, to.y];
  const bend = Math.max(12, (ty - sy) / 2);
  const stroke = onPath ? 'stroke="#546e7a" stroke-width="2"' : 'stroke="#9e9e9e" stroke-width="1"';
  return `<path d="M${sx},${sy} C${sx},${sy + bend} ${tx},${ty - bend} ${tx},${ty}" fill="none" ${stroke} marker-end="url(#${arrow})"/>`;
}

function legend(y: number, width: number): string {
  const states = Object.keys(NODE_LOOK) as NodeState[];
  const itemWidth = (state: NodeState) => 30 + Math.ceil(STATE_WORD[state].length * 6.6);
  const total = states.reduce((sum, state) => sum + itemWidth(state), 0);
  let x = Math.max(8, Math.round((width - total) / 2));
  const items = states.map((state) => {
    const look = NODE_LOOK[state];
    const item = `<rect x="${x}" y="${y + 6}" width="14" height="14" rx="3" fill="${look.fill}" stroke="${look.stroke}" stroke-width="${look.strokeWidth}"${look.dashed ? ' stroke-dasharray="3 3"' : ''}/><text x="${x + 19}" y="${y + 17}" fill="currentColor">${STATE_WORD[state]}</text>`;
    x += itemWidth(state);
    return item;
  });
  return `<g class="cn-legend">${items.join('')}</g>`;
}
