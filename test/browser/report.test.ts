import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { installBrowserDeps, launchChromium } from '../helpers/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, REPO_ROOT as root, runCli } from '../helpers/builtCli';
import { startCluster, PgCluster, waitForReplay } from '../helpers/pgCluster';

// `cnbook run` against a real primary and replica, then `cnbook export`, and the report opened in Chromium.
const HOSTILE = [
  '<script>window.pwned=1</script>',
  '<img src=x onerror=window.pwned=2>',
  '"><svg onload=window.pwned=3>',
  ']]>',
  '-->',
];
const EVIL = HOSTILE.join(' ');
const EVIL_CONNECTION = '"><svg onload=window.pwned=4>';
let cluster: PgCluster;
let browser: Browser;
let dir: string;

const SCHEMA = `
CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL, total_amount numeric(12,2) NOT NULL);
CREATE TABLE order_items (id int PRIMARY KEY, order_id int NOT NULL, price numeric(12,2) NOT NULL, quantity int NOT NULL);
INSERT INTO orders SELECT g, 'paid', 0 FROM generate_series(1, 300) g;
INSERT INTO order_items SELECT g, (g - 1) / 3 + 1, (g % 7) + 0.99, (g % 3) + 1 FROM generate_series(1, 900) g;
UPDATE orders o SET total_amount = s.total FROM (SELECT order_id, sum(price * quantity) AS total FROM order_items GROUP BY order_id) s WHERE s.order_id = o.id;
UPDATE orders SET total_amount = total_amount + 10 WHERE id IN (17, 256);
INSERT INTO order_items VALUES (901, 5001, 9.99, 1);
ALTER TABLE order_items ADD CONSTRAINT order_items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;
CREATE TABLE evil (id int PRIMARY KEY, note text);
INSERT INTO evil VALUES (1, ${HOSTILE.map((h) => `'${h.replace(/'/g, "''")}'`).join(" || ' ' || ")}), (2, NULL);
`;

beforeAll(async () => {
  installBrowserDeps(root);
  buildCli();
  cluster = await startCluster({ replicas: 1 });
  await cluster.primary.query(SCHEMA);
  await waitForReplay(cluster);
  // A replica that stops replaying while the primary moves on: stale rows, a warning on the map.
  await cluster.replicas[0]!.query('SELECT pg_wal_replay_pause()');
  await cluster.primary.query("UPDATE orders SET status = 'refunded' WHERE id IN (299, 300)");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-export-'));
  const replica = { url: cluster.replicas[0]!.url };
  write(
    'connections.json',
    JSON.stringify({
      connections: {
        'db-primary': { url: cluster.primary.url },
        'db-replica': replica,
        [EVIL_CONNECTION]: { url: cluster.primary.url },
      },
      profiles: {
        prod: { primary: 'db-primary', replicas: ['db-replica'] },
        evil: { primary: EVIL_CONNECTION, replicas: ['db-replica'] },
      },
    }),
  );
  browser = await launchChromium();
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await cluster?.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function cnbook(args: string[]) {
  return runCli(args, { cwd: dir, env: { PGPASSWORD: '' } });
}

/** Opens a file with JavaScript on, recording every request, dialog and page error. */
async function open(file: string): Promise<{ page: Page; requests: string[]; dialogs: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
  const seen = { page, requests: [] as string[], dialogs: [] as string[], errors: [] as string[] };
  page.on('request', (r) => seen.requests.push(r.url()));
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  return seen;
}

/** The shipped runbook, made an incident: what an on-call engineer would run and then export. */
function incidentRunbook(): string {
  const runbook = fs.readFileSync(path.join(root, 'runbooks', 'orders-vs-items.cnbook'), 'utf8');
  const incident = `incident:\n  id: INC-2041\n  title: Order totals disagree with their items\n  severity: SEV2\n  opened: "${new Date(Date.now() - 25 * 60_000).toISOString()}"\n  responders: [alice, bob]\n  commander: carol\n`;
  return write('incident.cnbook', runbook.replace(/incident:\n(  .*\n)+/, incident));
}

describe('cnbook export of a record made by cnbook run', () => {
  it('writes a self-contained HTML report and a Markdown one with its charts beside it', async () => {
    const file = incidentRunbook();
    const run = cnbook([
      'run',
      file,
      '--connections',
      'connections.json',
      '--profile',
      'prod',
      '--out',
      'incident.record.cnbook',
    ]);
    expect(run.code, run.stderr).toBe(2);
    const record = path.join(dir, 'incident.record.cnbook');
    const html = cnbook(['export', record]);
    expect(html.code, html.stderr).toBe(0);
    const md = cnbook(['export', record, '--format', 'md']);
    expect(md.code, md.stderr).toBe(0);
    const out = (name: string) => path.join(dir, name);
    const sizes = Object.fromEntries(
      [
        'incident.record.cnbook',
        'incident.record.report.html',
        'incident.record.report.md',
        'incident.record.report.overall.svg',
        'incident.record.report.strong.svg',
      ].map((f) => [f, fs.statSync(out(f)).size]),
    );
    console.log('export sizes (bytes):', JSON.stringify(sizes));
    const markdown = fs.readFileSync(out('incident.record.report.md'), 'utf8');
    expect(markdown).toContain('| Incident | INC-2041 |');
    expect(markdown).toContain('![Investigation flow](incident.record.report.overall.svg)');
    expect(markdown).toMatch(/### 1\. 🔴 Strong consistency: check failed on db-primary/);
    // The timeline is the record's own, as cnbook run wrote it: each cell, and each change of diagnosis.
    expect(markdown).toMatch(
      new RegExp(
        String.raw`\| Diagnosis: 🟡 Eventual consistency: replay paused on db-replica[^|]*\| 1 warning \|\n(.*\n)*` +
          String.raw`.*\| Diagnosis: 🔴 Strong consistency: check failed`,
        'u',
      ),
    );
    expect(markdown).toMatch(
      /- \[ \] Escalate \(no contact configured: cnbook.escalation\): Strong consistency has a 10 min limit/,
    );
    expect(markdown).toMatch(/\| db-replica \| replicas \| 127\.0\.0\.1:\d+\/postgres \| \d+\.\d+[^|]* \| standby \|/);

    const { page, requests, dialogs, errors } = await open(out('incident.record.report.html'));
    expect([requests.filter((u) => !u.startsWith('file://')), dialogs, errors]).toEqual([[], [], []]);
    expect(await page.locator('section h2').allTextContents()).toEqual([
      'Summary',
      'Diagnosis',
      'Investigation map',
      'Action items',
      'Timeline',
      'Evidence',
      'Queries and probes',
      'Appendix: the runbook',
    ]);
    // The overall flow and the chart of each problem: the broken totals (strong) and the paused replica.
    expect(await page.locator('svg.cn-map').count()).toBe(3);
    expect(await page.locator('svg.cn-map g.cn-node.cn-warning').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.cn-map g.cn-node.cn-critical').count()).toBeGreaterThan(0);
    expect(await page.locator('#cell-4 table').first().textContent()).toMatch(
      /db-primary.*primary.*db-replica.*standby/s,
    );
    fs.mkdirSync(path.join(root, 'test-results', 'screenshots'), { recursive: true });
    await page.screenshot({
      path: path.join(root, 'test-results', 'screenshots', 'report.png'),
      clip: { x: 0, y: 0, width: 1100, height: 1400 },
    });
    // The SVG files are well-formed XML on their own, as an image viewer reads them.
    for (const chart of ['overall', 'strong']) {
      const svg = fs.readFileSync(out(`incident.record.report.${chart}.svg`), 'utf8');
      const problem = await page.evaluate(
        (text) =>
          new DOMParser().parseFromString(text, 'image/svg+xml').querySelector('parsererror')?.textContent ?? null,
        svg,
      );
      expect(problem).toBeNull();
    }
    await page.close();
  });

  it('exports a runbook that never ran, says so, and never writes over the input', () => {
    const runbook = path.join(root, 'runbooks', 'orders-vs-items.cnbook');
    const r = cnbook(['export', runbook, '--out', 'fresh.html']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/has not been run: no cell has results; exporting the runbook as written/);
    expect(fs.readFileSync(path.join(dir, 'fresh.html'), 'utf8')).toContain('This record has not been run');
    const copy = write('copy.cnbook', fs.readFileSync(runbook, 'utf8'));
    const before = fs.readFileSync(copy, 'utf8');
    const over = cnbook(['export', copy, '--out', copy]);
    expect([over.code, fs.readFileSync(copy, 'utf8') === before]).toEqual([3, true]);
    expect(over.stderr).toMatch(/is the record itself; export never overwrites the input/);
    expect(cnbook(['export', 'missing.cnbook']).stderr).toMatch(/cannot read missing\.cnbook: ENOENT/);
    const bad = write('bad.cnbook', '---\ncnbook: 1\n---\n```sql\nSELECT 1\n');
    expect(cnbook(['export', bad]).stderr).toMatch(/bad\.cnbook:4: /);
    expect(cnbook(['export', copy, '--format', 'pdf']).stderr).toMatch(/--format expects md, html or json, got 'pdf'/);
  });
});

describe('hostile values in the exported HTML, in a real browser', () => {
  it('shows every hostile value as text: no script runs, no element of theirs exists, nothing is fetched', async () => {
    const runbook = write(
      'evil.cnbook',
      [
        '---',
        'cnbook: 1',
        `title: ${JSON.stringify(EVIL)}`,
        'roles: [primary, replicas]',
        `incident: { id: ${JSON.stringify(EVIL)}, severity: ${JSON.stringify(EVIL)}, responders: [${JSON.stringify(EVIL)}], commander: ${JSON.stringify(EVIL)} }`,
        '---',
        `# ${EVIL}`,
        '',
        `${EVIL}`,
        '',
        `- ${EVIL}`,
        '',
        '```cnprobe',
        'topology on=all',
        '```',
        '',
        '```sql',
        '-- @on all',
        `SELECT id, note AS "${EVIL.replace(/"/g, '""')}" FROM evil ORDER BY id`,
        '```',
        '',
        '```sql',
        '-- @on primary',
        '-- @expect empty',
        'SELECT id, note FROM evil WHERE note IS NOT NULL',
        '```',
        '',
      ].join('\n'),
    );
    const run = cnbook([
      'run',
      runbook,
      '--connections',
      'connections.json',
      '--profile',
      'evil',
      '--out',
      'evil.record.cnbook',
    ]);
    expect(run.code, run.stderr).toBe(2);
    const r = cnbook(['export', path.join(dir, 'evil.record.cnbook')]);
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(dir, 'evil.record.report.html');
    const html = fs.readFileSync(file, 'utf8');
    // No remote resource: no src or href attribute with an http(s) or protocol-relative URL, and no script.
    expect(html.match(/\s(src|href)\s*=\s*["']?\s*(https?:|\/\/)/gi)).toBeNull();
    expect(html).not.toMatch(/<script/i);

    const { page, requests, dialogs, errors } = await open(file);
    expect([requests.filter((u) => !u.startsWith('file://')), dialogs, errors]).toEqual([[], [], []]);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    const dom = await page.evaluate(() => ({
      scripts: document.querySelectorAll('script').length,
      images: document.querySelectorAll('img').length,
      handlers: [...document.querySelectorAll('*')].flatMap((e) =>
        e.getAttributeNames().filter((a) => a.startsWith('on')),
      ),
      svgs: [...document.querySelectorAll('svg')].map((s) => s.getAttribute('class')),
      text: document.body.textContent ?? '',
      title: document.title,
    }));
    expect(dom).toMatchObject({ scripts: 0, images: 0, handlers: [], title: EVIL });
    // The only SVG elements are the map's own (overall and strong): none came from a value.
    expect(dom.svgs).toEqual(['cn-map', 'cn-map']);
    // Each hostile value is there, as text: in the header, the results, the column name, the connection, the map.
    for (const h of HOSTILE) expect(dom.text).toContain(h);
    expect(dom.text).toContain(EVIL_CONNECTION);
    const allCell = page.locator('article.cell').nth(1);
    expect(await allCell.locator('tbody tr td:first-child', { hasText: EVIL_CONNECTION }).count()).toBe(1);
    expect(await allCell.locator('th', { hasText: HOSTILE[0]! }).count()).toBe(2);
    // On the map, in the evidence of a node's tooltip (the strong chart has no host nodes to name it in a label).
    expect(await page.locator('svg.cn-map title', { hasText: EVIL_CONNECTION }).count()).toBeGreaterThan(0);
    expect(await page.locator('#runbook h3').first().textContent()).toBe(EVIL);
    await page.close();
  });
});
