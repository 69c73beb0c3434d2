import { describe, expect, it } from 'vitest';
import { allCharts, chartToMermaid, diagnose, type Chart, type HostInfo } from '../../src/core/diagnosis';
import { NODE_LOOK } from '../../src/core/diagnosis/palette';
import { chartToSvg, wrap } from '../../src/core/diagnosis/svg';
import { layoutChart, longestPathLayers, orderLayers } from '../../src/core/diagnosis/svgLayout';
import type { Finding } from '../../src/core/probes/types';

const hosts: HostInfo[] = [
  { connection: 'db-primary', role: 'primary' },
  { connection: 'db-replica-1', role: 'replicas' },
  { connection: 'db-replica-2', role: 'replicas' },
];
const paused: Finding = {
  probe: 'replication-lag',
  target: 'db-replica-1',
  connection: 'db-replica-1',
  severity: 'warning',
  summary: 'behind, replay PAUSED',
  metrics: { replayPaused: true },
};
const diagnosis = diagnose({ findings: [paused], hosts, now: '2026-11-25T10:00:00.000Z' });
const eventual = allCharts(hosts).find((c) => c.id === 'eventual') as Chart;

/** The boxes the SVG lays out: nodes outside groups, and each group as one box. */
function layoutIds(chart: Chart): string[] {
  const grouped = new Set(chart.groups?.flatMap((g) => g.nodes));
  return [...chart.nodes.filter((n) => !grouped.has(n.id)).map((n) => n.id), ...(chart.groups ?? []).map((g) => g.id)];
}

describe('the layered layout', () => {
  it.each(allCharts(hosts).map((c) => [c.id, c] as const))('puts every edge of the %s chart downward', (_, chart) => {
    const layers = longestPathLayers(layoutIds(chart), chart.edges);
    for (const [from, to] of chart.edges) expect(layers.get(to)).toBeGreaterThan(layers.get(from) ?? Infinity);
  });

  it('places no two boxes over each other, and gives the same positions every time', () => {
    for (const chart of allCharts(hosts)) {
      const input = { ids: layoutIds(chart), edges: chart.edges, size: () => ({ width: 200, height: 60 }) };
      const { boxes } = layoutChart(input);
      const placed = [...boxes.values()];
      for (const [i, a] of placed.entries())
        for (const b of placed.slice(i + 1)) {
          const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
          expect(apart).toBe(true);
        }
      expect([...layoutChart(input).boxes]).toEqual([...boxes]);
    }
  });

  it('orders a layer by its neighbours so that edges do not cross', () => {
    // a→y, b→x: starting from [x, y] the barycentric sweep must swap them under [a, b].
    const edges: [string, string][] = [
      ['a', 'y'],
      ['b', 'x'],
    ];
    const layers = orderLayers(['a', 'b', 'x', 'y'], edges, longestPathLayers(['a', 'b', 'x', 'y'], edges));
    expect(layers).toEqual([
      ['a', 'b'],
      ['y', 'x'],
    ]);
  });

  it('survives a cycle (a chart edited by hand) instead of recursing forever', () => {
    const layers = longestPathLayers(
      ['a', 'b'],
      [
        ['a', 'b'],
        ['b', 'a'],
      ],
    );
    expect([...layers.keys()].sort()).toEqual(['a', 'b']);
  });
});

describe('chartToSvg', () => {
  const svg = chartToSvg(eventual, diagnosis.charts.eventual);

  it('is deterministic', () => {
    expect(chartToSvg(eventual, diagnosis.charts.eventual)).toBe(svg);
  });

  it('draws the hosts as one box holding every connection of the profile', () => {
    const group = /<g class="cn-group" data-node="HostGroup">([\s\S]*?)<\/g>\n/.exec(svg)?.[1] ?? '';
    for (const h of hosts) expect(group).toContain(`>${h.connection} (${h.role})<`);
    expect(group.match(/class="cn-node /g)).toHaveLength(hosts.length);
  });

  it('colours nodes by state as the map does, and puts the evidence in the tooltip', () => {
    const node = /<g class="cn-node cn-warning" data-node="Host1">([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? '';
    expect(node).toContain(`fill="${NODE_LOOK.warning.fill}" stroke="${NODE_LOOK.warning.stroke}"`);
    expect(node).toContain(
      '<title>db-replica-1 (warning)\nWARNING replication-lag db-replica-1: behind, replay PAUSED</title>',
    );
    expect(svg).toContain(`<g class="cn-node cn-not-visited" data-node="Network">`);
    // The mermaid chart of the record says the same about that node.
    expect(chartToMermaid(eventual, diagnosis.charts.eventual)).toMatch(
      /class [A-Za-z0-9,]*Host1[A-Za-z0-9,]* cn-warning/,
    );
  });

  it('draws one arrow per edge, the hosts box standing for its nodes', () => {
    expect(svg.match(/marker-end="url\(#cn-arrow-eventual\)"/g)).toHaveLength(eventual.edges.length);
  });

  it('escapes a hostile host name and value for XML', () => {
    const evil: HostInfo[] = [{ connection: '"><script>alert(1)</script>', role: ']]> -->' }];
    const chart = allCharts(evil).find((c) => c.id === 'eventual') as Chart;
    const finding: Finding = {
      ...paused,
      target: evil[0]!.connection,
      connection: evil[0]!.connection,
      summary: '<img src=x onerror=alert(1)>',
    };
    const states = diagnose({ findings: [finding], hosts: evil, now: '2026-11-25T10:00:00.000Z' }).charts.eventual;
    const out = chartToSvg(chart, states);
    expect(out).not.toMatch(/<script|<img|]]>|-->/);
    expect(out).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('wraps labels at word boundaries, cuts long words, and ends a cut label with …', () => {
    expect(wrap('Replay cannot keep up, retained WAL')).toEqual(['Replay cannot keep up,', 'retained WAL']);
    expect(wrap('x'.repeat(60), 3)).toEqual(['x'.repeat(28), 'x'.repeat(28), 'xxxx']);
    expect(wrap('word '.repeat(40), 2)[1]).toMatch(/…$/);
  });
});
