/**
 * A small layered layout for the map's flowcharts, computed without a browser (mermaid needs a DOM to measure
 * text, the CLI has none): longest-path layers, then barycentric ordering within each layer. Deterministic:
 * the same chart gives the same positions, so an exported report does not change between two exports.
 */
export interface LayoutInput {
  /** Box ids in the order the chart lists them (the starting order of each layer). */
  ids: readonly string[];
  edges: readonly (readonly [string, string])[];
  size(id: string): { width: number; height: number };
}

export interface Placed {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Layout {
  boxes: Map<string, Placed>;
  width: number;
  height: number;
}

const GAP_X = 24;
const GAP_Y = 44;
const MARGIN = 16;
const SWEEPS = 4;

/** Each box's layer: the length of the longest path to it from a box with no incoming edge (cycles broken). */
export function longestPathLayers(ids: readonly string[], edges: LayoutInput['edges']): Map<string, number> {
  const incoming = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const [from, to] of edges) incoming.get(to)?.push(from);
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a back edge: ignored, so a cycle cannot recurse forever
    visiting.add(id);
    const preds = (incoming.get(id) ?? []).filter((p) => incoming.has(p));
    const value = preds.length === 0 ? 0 : Math.max(...preds.map(depth)) + 1;
    visiting.delete(id);
    layer.set(id, value);
    return value;
  };
  ids.forEach(depth);
  return layer;
}

/** The boxes of each layer, ordered to keep edges short and uncrossed: sweeps down and up by mean neighbour position. */
export function orderLayers(
  ids: readonly string[],
  edges: LayoutInput['edges'],
  layerOf: Map<string, number>,
): string[][] {
  const count = Math.max(-1, ...layerOf.values()) + 1;
  const layers: string[][] = Array.from({ length: count }, () => []);
  for (const id of ids) layers[layerOf.get(id) ?? 0]?.push(id);
  const neighbours = (id: string, upward: boolean) =>
    edges.filter(([from, to]) => (upward ? to === id : from === id)).map(([from, to]) => (upward ? from : to));
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const downward = sweep % 2 === 0;
    const order = downward
      ? layers.map((_, i) => i).slice(1)
      : layers
          .map((_, i) => i)
          .slice(0, -1)
          .reverse();
    for (const i of order) {
      const reference = layers[downward ? i - 1 : i + 1] ?? [];
      const current = layers[i] ?? [];
      layers[i] = byBarycentre(current, (id) => neighbours(id, downward), reference);
    }
  }
  return layers;
}

function byBarycentre(layer: string[], linked: (id: string) => string[], reference: string[]): string[] {
  const centre = (id: string, index: number) => {
    const positions = linked(id)
      .map((n) => reference.indexOf(n))
      .filter((p) => p >= 0);
    // Scaled so that a box with no neighbour keeps its place among the others.
    if (positions.length === 0) return (index / Math.max(1, layer.length - 1)) * Math.max(0, reference.length - 1);
    return positions.reduce((a, b) => a + b, 0) / positions.length;
  };
  return layer
    .map((id, index) => ({ id, index, key: centre(id, index) }))
    .sort((a, b) => a.key - b.key || a.index - b.index)
    .map((e) => e.id);
}

/** Positions of every box: layers top to bottom, each layer centred on the widest one. */
export function layoutChart(input: LayoutInput): Layout {
  const layers = orderLayers(input.ids, input.edges, longestPathLayers(input.ids, input.edges));
  const rowWidth = (row: string[]) =>
    row.reduce((sum, id) => sum + input.size(id).width, 0) + GAP_X * Math.max(0, row.length - 1);
  const width = Math.max(0, ...layers.map(rowWidth)) + 2 * MARGIN;
  const boxes = new Map<string, Placed>();
  let y = MARGIN;
  for (const row of layers) {
    let x = Math.round((width - rowWidth(row)) / 2);
    const rowHeight = Math.max(0, ...row.map((id) => input.size(id).height));
    for (const id of row) {
      const size = input.size(id);
      boxes.set(id, { x, y: y + Math.round((rowHeight - size.height) / 2), ...size });
      x += size.width + GAP_X;
    }
    y += rowHeight + GAP_Y;
  }
  return { boxes, width, height: y - GAP_Y + MARGIN };
}
