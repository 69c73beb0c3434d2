import mermaid from 'mermaid';
import type { FromWebview, MapChart, MapState, ToWebview } from './protocol';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): { state?: MapState; chart?: string } | undefined;
  setState(value: { state?: MapState; chart?: string }): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let current: MapState | undefined;
let selected: string | undefined;
let renderSerial = 0;
let rendering: Promise<void> = Promise.resolve();
// Updates follow the diagnosis to its chart until the user picks a tab; then their choice stays.
let userChose = false;

// Initialise once, with the theme the workbench uses; labels are strict (no HTML, no scripts, no clicks).
mermaid.initialize({
  startOnLoad: false,
  securityLevel: 'strict',
  theme:
    document.body.classList.contains('vscode-dark') || document.body.classList.contains('vscode-high-contrast')
      ? 'dark'
      : 'default',
  flowchart: { htmlLabels: false, useMaxWidth: true },
});

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  if (event.data?.type === 'update') show(event.data.state, userChose ? selected : undefined);
});

function show(state: MapState, chart?: string): void {
  current = state;
  selected = chart && state.charts.some((c) => c.id === chart) ? chart : state.focus;
  vscode.setState({ state, chart: selected });
  const headline = byId('headline');
  headline.textContent = state.headline;
  renderEscalation(state);
  renderNext(state);
  renderProblems(state);
  renderTabs(state);
  void render(state.charts.find((c) => c.id === selected) ?? state.charts[0]);
}

function renderEscalation(state: MapState): void {
  const line = byId('escalation');
  line.textContent = state.escalation ? `${state.escalation.due ? '⏰' : '⏱️'} ${state.escalation.line}` : '';
  line.classList.toggle('due', state.escalation?.due ?? false);
}

const ICON: Record<string, string> = { ok: '🟢', warning: '🟡', critical: '🔴', unknown: '⚪' };

/** With more than one problem, each is listed; choosing one shows its chart. */
function renderProblems(state: MapState): void {
  const list = byId('problems');
  list.replaceChildren();
  if (state.problems.length < 2) return;
  state.problems.forEach((problem, i) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.className = 'problem';
    button.textContent = `${ICON[problem.severity] ?? ''} ${problem.title}${i === 0 ? ' (primary)' : ''}`;
    button.title = `Next: ${problem.next}`;
    button.addEventListener('click', () => {
      userChose = true;
      show(state, problem.chart);
    });
    item.append(button);
    list.append(item);
  });
}

function renderNext(state: MapState): void {
  const next = byId('next');
  next.textContent = state.next ? `Next: ${state.next}` : '';
  const cell = state.nextCell;
  if (state.next && typeof cell === 'number') {
    const link = document.createElement('button');
    link.id = 'next-cell';
    link.textContent = `Go to cell ${cell + 1}`;
    link.title = 'Show the runbook cell for this step';
    const cellId = state.nextCellId;
    link.addEventListener('click', () => vscode.postMessage({ type: 'revealCell', cell, cellId }));
    next.append(' ', link);
  }
}

function renderTabs(state: MapState): void {
  const tabs = byId('tabs');
  tabs.replaceChildren(
    ...state.charts.map((chart) => {
      const button = document.createElement('button');
      button.textContent = chart.title;
      button.className = chart.id === selected ? 'tab selected' : 'tab';
      button.addEventListener('click', () => {
        userChose = true;
        if (current) show(current, chart.id);
      });
      return button;
    }),
  );
}

/** mermaid cannot render twice at once: renders queue, and one overtaken by a newer request is skipped. */
function render(chart: MapChart | undefined): Promise<void> {
  if (!chart) return rendering;
  const serial = ++renderSerial;
  rendering = rendering.then(() => (serial === renderSerial ? renderNow(chart, serial) : undefined));
  return rendering;
}

async function renderNow(chart: MapChart, serial: number): Promise<void> {
  const started = performance.now();
  try {
    await mermaid.parse(chart.mermaid);
    const { svg } = await mermaid.render(`map-${serial}`, chart.mermaid);
    if (serial !== renderSerial) return; // a newer update arrived while this one rendered
    const container = byId('chart');
    container.innerHTML = svg; // mermaid's own output under securityLevel strict; labels were escaped in the core
    decorate(container, chart);
    vscode.postMessage({
      type: 'rendered',
      chart: chart.id,
      ms: Math.round(performance.now() - started),
      nodeClasses: nodeClasses(container),
      headline: byId('headline').textContent ?? '',
      problems: [...document.querySelectorAll('#problems button.problem')].map((b) => b.textContent ?? ''),
      escalation: { text: byId('escalation').textContent ?? '', due: byId('escalation').classList.contains('due') },
    });
  } catch (error) {
    vscode.postMessage({ type: 'error', message: (error as Error).message });
  }
}

/** Hover shows the evidence, a click reveals the cell behind a node. */
function decorate(container: HTMLElement, chart: MapChart): void {
  container.querySelectorAll<SVGGElement>('g.node').forEach((g) => {
    const id = nodeId(g);
    const info = id ? chart.nodes[id] : undefined;
    if (!id || !info) return;
    const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
    title.textContent = info.evidence.length > 0 ? info.evidence.join('\n') : info.state;
    g.prepend(title);
    g.style.cursor = 'pointer';
    g.addEventListener('click', () => vscode.postMessage({ type: 'reveal', chart: chart.id, node: id }));
  });
}

function nodeId(g: Element): string | undefined {
  // mermaid gives nodes ids like "map-3-flowchart-Lag-12"
  return /flowchart-(.+)-\d+$/.exec(g.id)?.[1];
}

function nodeClasses(container: HTMLElement): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  container.querySelectorAll('g.node').forEach((g) => {
    const id = nodeId(g);
    if (id) result[id] = [...g.classList].filter((c) => c.startsWith('cn-'));
  });
  return result;
}

byId('export').addEventListener('click', () => {
  const svg = byId('chart').querySelector('svg');
  if (svg && selected)
    vscode.postMessage({ type: 'exportSvg', chart: selected, svg: new XMLSerializer().serializeToString(svg) });
});

function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el;
}

// Last, once everything above is defined: after a reload VS Code hands back the state the webview saved.
const restored = vscode.getState();
if (restored?.state) {
  // A chart other than the diagnosis's own was the user's choice: keep following it.
  userChose = restored.chart !== undefined && restored.chart !== restored.state.focus;
  show(restored.state, restored.chart);
}
