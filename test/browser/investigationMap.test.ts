import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { installBrowserDeps, launchChromium } from '../helpers/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMapState, diagnose, type HostInfo, type MapState } from '../../src/core/diagnosis';
import { MAP_BODY_HTML } from '../../src/webview/protocol';
import { escalationAt } from '../../src/core/diagnosis/escalation';
import type { Finding, ProbeName } from '../../src/core/probes/types';
import { withLegacyFacts } from '../../src/core/probes/render';

// The Investigation Map's webview bundle (mermaid included) rendered in Debian's Chromium.
const root = path.resolve(__dirname, '../..');
let browser: Browser;
let page: Page;
let dir: string;

beforeAll(async () => {
  installBrowserDeps(root);
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-map-'));
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    `<!DOCTYPE html><html><head><meta charset="utf-8">
    <link rel="stylesheet" href="file://${root}/media/investigationMap.css"></head><body class="vscode-light">
    ${MAP_BODY_HTML}
    <script>window.sent = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.sent.push(m), getState: () => window.restoreState, setState: (s) => { window.savedState = s; } });</script>
    <script src="file://${root}/dist/webview.js"></script></body></html>`,
  );
  browser = await launchChromium({ fileAccess: true });
  page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  page.on('dialog', (d) => {
    throw new Error(`a dialog opened: ${d.message()}`);
  });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`file://${dir}/index.html`);
}, 600_000);
afterAll(async () => {
  await browser?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Sent {
  type: string;
  chart?: string;
  ms?: number;
  message?: string;
  nodeClasses?: Record<string, string[]>;
  escalation?: { text: string; due: boolean };
}
type Rendered = Required<Pick<Sent, 'chart' | 'ms' | 'nodeClasses' | 'escalation'>>;

async function renderChart(state: MapState, tab: string): Promise<Rendered> {
  await page.evaluate(() => {
    (window as unknown as { sent: unknown[] }).sent = [];
  });
  await page.evaluate((s) => window.postMessage({ type: 'update', state: s }, '*'), state);
  const title = state.charts.find((c) => c.id === tab)?.title;
  // Once a tab has been chosen, updates keep it, so pick the wanted one explicitly.
  await page.getByRole('button', { name: title, exact: true }).click();
  await page.waitForFunction(
    (id) =>
      (window as unknown as { sent: { type: string; chart: string }[] }).sent.some(
        (m) => m.type === 'rendered' && m.chart === id,
      ) || (window as unknown as { sent: { type: string }[] }).sent.some((m) => m.type === 'error'),
    tab,
    { timeout: 30_000 },
  );
  const sent = await page.evaluate(() => (window as unknown as { sent: Sent[] }).sent);
  const error = sent.find((m) => m.type === 'error');
  if (error) throw new Error(`render failed: ${error.message}`);
  return sent.filter((m) => m.type === 'rendered' && m.chart === tab).pop() as Rendered;
}

// Findings as saved before they carried typed facts: read back, the labels give them (withLegacyFacts).
const f = (
  probe: ProbeName,
  target: string,
  severity: Finding['severity'],
  summary: string,
  metrics: Finding['metrics'] = {},
): Finding => withLegacyFacts({ probe, target, severity, summary, metrics });
const hosts: HostInfo[] = [
  { connection: 'db-primary', role: 'primary' },
  { connection: 'db-replica-1', role: 'replicas' },
  { connection: 'db-replica-2', role: 'replicas' },
];
const SCENARIOS: Record<string, Finding[]> = {
  lag: [
    f('replication-lag', 'db-replica-2', 'critical', 'behind; 42.10 s, 8192 bytes behind, replay PAUSED', {
      replayPaused: true,
    }),
    f('replication-lag', 'db-replica-1', 'ok', 'caught up'),
    f('row-counts', 'orders', 'warning', 'counts differ by 3'),
  ],
  strong: [
    f('topology', 'db-primary,db-replica-1', 'critical', 'split brain: 2 writable nodes'),
    f('locks', 'db-primary', 'ok', 'no session is waiting'),
  ],
  session: [
    f(
      'session-guarantees',
      'routing=round-robin over a,b read-your-writes',
      'critical',
      '12 of 24 reads missed their write',
    ),
  ],
  causal: [
    f('clock-skew', 'db-replica-1', 'critical', '+3000.1 ms ± 0.3 ms'),
    f('causal-order', 'db-primary/events order', 'warning', '1 event before its parent'),
  ],
  none: [],
};

describe('the Investigation Map in a real browser', () => {
  it.each(Object.keys(SCENARIOS))(
    'renders every chart for the %s scenario with the node classes the engine chose',
    async (scenario) => {
      const state = buildMapState(
        diagnose({ findings: SCENARIOS[scenario]!, hosts, now: '2026-11-25T10:00:00Z' }),
        hosts,
      );
      for (const chart of state.charts) {
        const rendered = await renderChart(state, chart.id);
        for (const [node, info] of Object.entries(chart.nodes))
          expect(rendered.nodeClasses[node], `${scenario}/${chart.id}/${node}`).toEqual([`cn-${info.state}`]);
      }
    },
  );

  it('shows the lagging replica red with its measured lag in the label (screenshot for the README)', async () => {
    const state = buildMapState(diagnose({ findings: SCENARIOS.lag!, hosts, now: '2026-11-25T10:00:00Z' }), hosts);
    const rendered = await renderChart(state, 'eventual');
    expect(rendered.nodeClasses.Host2).toEqual(['cn-critical']);
    const label = await page.locator('g.node[id*="flowchart-Host2-"]').textContent();
    expect(label).toContain('db-replica-2');
    expect(label).toContain('42.10 s');
    expect(await page.locator('#headline').textContent()).toMatch(
      /^Eventual consistency: replay paused on db-replica-2/,
    );
    fs.mkdirSync(path.join(root, 'test-results', 'screenshots'), { recursive: true });
    await page.screenshot({
      path: path.join(root, 'test-results', 'screenshots', 'investigation-map.png'),
      fullPage: true,
    });
  });

  it('keeps hostile names and values inert', async () => {
    const evil: HostInfo[] = [
      { connection: '<img src=x onerror=alert(1)>', role: '"]-->B' },
      { connection: 'r"]; click Host0 call alert()', role: '`x`' },
    ];
    const findings = [
      f('replication-lag', evil[0]!.connection, 'critical', '<script>alert(2)</script> --> "]'),
      f('replication-lag', evil[1]!.connection, 'warning', '&lt;b&gt;'),
    ];
    const state = buildMapState(diagnose({ findings, hosts: evil, now: '2026-11-25T10:00:00Z' }), evil);
    const rendered = await renderChart(state, 'eventual');
    expect(rendered.nodeClasses.Host0).toEqual(['cn-critical']);
    expect(await page.locator('#chart img').count()).toBe(0);
    expect(await page.locator('#chart script').count()).toBe(0);
    expect(await page.locator('g.node[id*="flowchart-Host0-"]').textContent()).toContain(
      '<img src=x onerror=alert(1)>',
    );
    expect(await page.locator('g.node[id*="flowchart-Host1-"]').textContent()).toContain(
      'r"]; click Host0 call alert()',
    );
  });

  it('shows the time left to escalate, then the overdue warning with the contact, as text', async () => {
    const opened = '2026-11-25T10:00:00Z';
    const diagnosis = diagnose({ findings: SCENARIOS.lag!, hosts, now: opened, openedAt: opened });
    const contact = '<img src=x onerror=alert(3)>@backend';
    const early = escalationAt(diagnosis.consistencyType, opened, '2026-11-25T10:12:00Z', { eventual: contact });
    await renderChart(buildMapState(diagnosis, hosts, early), 'eventual');
    expect(await page.locator('#escalation').textContent()).toBe(
      '⏱️ eventual consistency: 18 min left to escalate (limit 30 min)',
    );
    expect(await page.locator('#escalation.due').count()).toBe(0);
    const late = escalationAt(diagnosis.consistencyType, opened, '2026-11-25T10:41:00Z', { eventual: contact });
    const rendered = await renderChart(buildMapState(diagnosis, hosts, late), 'eventual');
    const overdue = `⏰ eventual consistency: overdue by 11 min, escalate to ${contact}`;
    expect(await page.locator('#escalation.due').textContent()).toBe(overdue);
    // What the page reports back (the VS Code suite reads the map's standing from it).
    expect(rendered.escalation).toEqual({ text: overdue, due: true });
    expect(await page.locator('#headline').textContent()).toMatch(/escalate now to <img src=x/);
    expect(await page.locator('header img').count()).toBe(0);
  });

  it('lists every problem, the primary first, and shows the chart of a chosen problem', async () => {
    const findings = [
      f('replication-lag', 'db-replica-2', 'warning', 'behind, replay PAUSED', { replayPaused: true }),
      f('sql-check', 'db-primary', 'critical', 'cell 5: expected no rows, got 3 <b>rows</b>'),
    ];
    const state = buildMapState(diagnose({ findings, hosts, now: '2026-11-25T10:00:00Z' }), hosts);
    await renderChart(state, 'strong');
    const items = await page.locator('#problems .problem').allTextContents();
    expect(items).toHaveLength(2);
    expect(items[0]).toMatch(/^🔴 Strong consistency: check failed on db-primary: .*<b>rows<\/b> \(primary\)$/);
    expect(items[1]).toMatch(/^🟡 Eventual consistency: replay paused on db-replica-2/);
    expect(await page.locator('#problems b').count()).toBe(0);
    await page.evaluate(() => ((window as unknown as { sent: unknown[] }).sent = []));
    await page.locator('#problems .problem').nth(1).click();
    await page.waitForFunction(() =>
      (window as unknown as { sent: { type: string; chart: string }[] }).sent.some(
        (m) => m.type === 'rendered' && m.chart === 'eventual',
      ),
    );
    expect(await page.locator('.tab.selected').textContent()).toBe('Eventual consistency analysis');
  });

  it("keeps each problem's list number on the first line of its title when titles wrap", async () => {
    const long =
      'a check whose summary is long enough to wrap onto several lines in a narrow panel beside the notebook';
    const findings = [
      f('replication-lag', 'db-replica-2', 'warning', `behind, replay PAUSED: ${long}`, { replayPaused: true }),
      f('sql-check', 'db-primary', 'critical', `cell 5: expected no rows, got 3: ${long}`),
    ];
    await page.setViewportSize({ width: 360, height: 1000 });
    try {
      await renderChart(buildMapState(diagnose({ findings, hosts, now: '2026-11-25T10:00:00Z' }), hosts), 'strong');
      // The marker sits on the item's first line box: a zero-width text placed before the button shares it.
      const lines = await page.evaluate(() =>
        [...document.querySelectorAll('#problems li')].map((li) => {
          const mark = li.insertBefore(document.createElement('span'), li.firstChild);
          mark.textContent = '\u200b';
          const button = li.querySelector('button')!.getBoundingClientRect();
          const at = mark.getBoundingClientRect();
          mark.remove();
          const style = getComputedStyle(li);
          // 'normal' is about 1.2 font sizes; a wrapped title is at least twice that tall either way.
          const lineHeight = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
          return { lines: Math.round(button.height / lineHeight), markFromTop: (at.top - button.top) / lineHeight };
        }),
      );
      expect(lines).toHaveLength(2);
      for (const item of lines) {
        expect(item.lines).toBeGreaterThan(1);
        expect(item.markFromTop).toBeLessThan(0.5);
      }
    } finally {
      await page.setViewportSize({ width: 1300, height: 1000 });
    }
  });

  it('asks for the cell behind a clicked node and for the next step, and exports the chart as SVG', async () => {
    const steps = [
      { index: 1, id: 'c-lag', probes: ['topology', 'replication-lag'], ran: true },
      { index: 3, id: 'c-drift', probes: ['table-drift'], ran: false },
    ];
    const state = buildMapState(
      diagnose({ findings: SCENARIOS.lag!, hosts, now: '2026-11-25T10:00:00Z', steps }),
      hosts,
    );
    expect(state.nextCell).toBe(1);
    await renderChart(state, 'eventual');
    const sent = () => page.evaluate(() => (window as unknown as { sent: Sent[] }).sent);
    await page.locator('g.node[id*="flowchart-Host2-"]').click();
    expect((await sent()).filter((m) => m.type === 'reveal')).toEqual([
      { type: 'reveal', chart: 'eventual', node: 'Host2' },
    ]);
    expect(await page.locator('#next').textContent()).toMatch(/^Next: Resume replay .* Go to cell 2$/);
    await page.locator('#next-cell').click();
    // By id, so the link still finds its cell after cells were moved; the index is the fallback.
    expect((await sent()).filter((m) => m.type === 'revealCell')).toEqual([
      { type: 'revealCell', cell: 1, cellId: 'c-lag' },
    ]);
    await page.locator('#export').click();
    const exported = (await sent()).find((m) => m.type === 'exportSvg') as unknown as { chart: string; svg: string };
    expect(exported.chart).toBe('eventual');
    expect(exported.svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(exported.svg).toContain('db-replica-2');
  });

  it('comes back after a reload with the chart the user chose, from the saved state alone', async () => {
    const state = buildMapState(diagnose({ findings: SCENARIOS.causal!, hosts, now: '2026-11-25T10:00:00Z' }), hosts);
    await renderChart(state, 'session');
    const saved = await page.evaluate(() => (window as unknown as { savedState: unknown }).savedState);
    expect(saved).toMatchObject({ chart: 'session' });
    const again = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    again.on('pageerror', (e) => console.error('page error:', e.message));
    try {
      await again.addInitScript((s) => {
        (window as unknown as { restoreState: unknown }).restoreState = s;
      }, saved);
      await again.goto(`file://${dir}/index.html`);
      // No update message is sent: what shows comes from the state VS Code kept for the webview.
      await again.waitForFunction(
        () => (window as unknown as { sent: Sent[] }).sent.some((m) => m.type === 'rendered'),
        undefined,
        { timeout: 30_000 },
      );
      const rendered = await again.evaluate(() =>
        (window as unknown as { sent: Sent[] }).sent.find((m) => m.type === 'rendered'),
      );
      expect(rendered?.chart).toBe('session');
      expect(await again.locator('#headline').textContent()).toBe(state.headline);
      expect(await again.locator('#tabs .selected').textContent()).toBe('Session consistency investigation');
    } finally {
      await again.close();
    }
  });

  it('renders a 60-node chart (10 steps and 50 hosts) and reports how long it took', async () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ connection: `replica-${i}`, role: 'replicas' }));
    const findings = many.map((h, i) =>
      f(
        'replication-lag',
        h.connection,
        i % 7 === 0 ? 'critical' : i % 3 === 0 ? 'warning' : 'ok',
        `${(i * 0.37).toFixed(2)} s`,
      ),
    );
    const state = buildMapState(diagnose({ findings, hosts: many, now: '2026-11-25T10:00:00Z' }), many);
    expect(
      state.charts
        .find((c) => c.id === 'eventual')
        ?.mermaid.split('\n')
        .filter((l) => /^ +\w+[[({]/.test(l)).length,
    ).toBe(60);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push((await renderChart({ ...state, focus: 'eventual' }, 'eventual')).ms);
    console.log(
      `METRIC map render, 60-node chart: ${times.join(', ')} ms (median ${[...times].sort((a, b) => a - b)[2]} ms)`,
    );
  });
});
