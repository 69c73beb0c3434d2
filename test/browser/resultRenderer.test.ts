import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { installBrowserDeps, launchChromium } from '../helpers/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultPayload } from '../../src/core/sql/payload';
import { startCluster, PgCluster, waitForReplay } from '../helpers/pgCluster';
import { bindingsOf, connectionTo, newPool, runCell } from '../integration/sqlHarness';

// The notebook renderer for SQL results, fed real results from PostgreSQL, in Debian's Chromium.
const root = path.resolve(__dirname, '../..');
const pool = newPool();
let cluster: PgCluster;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  installBrowserDeps(root);
  cluster = await startCluster({ replicas: 1 });
  await cluster.primary.query(`CREATE TABLE orders (id bigint PRIMARY KEY, total numeric(12,2), note text);
    INSERT INTO orders VALUES (1, 10.50, '<img src=x onerror=window.pwned=1>'), (2, 9.00, NULL), (3, 100.00, repeat('long ', 100)),
      (4, 2.25, 'two
lines'), (9007199254740993, 0.10, 'beyond doubles');`);
  await waitForReplay(cluster);
  // The renderer as VS Code loads it is an ES module; for a plain page, the same source as a script.
  const bundle = await esbuild.build({
    entryPoints: [path.join(root, 'src/renderer/resultRenderer.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'cnbookRenderer',
    write: false,
    target: 'es2022',
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  page.on('dialog', (d) => {
    throw new Error(`a dialog opened: ${d.message()}`);
  });
  // From localhost, a secure context like VS Code's webviews, so the page has the async clipboard API.
  await page.route('http://localhost/', (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!DOCTYPE html><html><body><div id="out"></div></body></html>' }),
  );
  await page.goto('http://localhost/');
  await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await pool.closeAll();
  await cluster?.destroy();
});

async function render(payload: ResultPayload): Promise<void> {
  await page.evaluate((p) => {
    const renderer = (
      window as unknown as {
        cnbookRenderer: { activate: (ctx: unknown) => { renderOutputItem: (item: unknown, el: Element) => void } };
      }
    ).cnbookRenderer;
    renderer.activate({}).renderOutputItem({ json: () => p }, document.getElementById('out')!);
  }, payload);
}

const column = (n: number) => page.locator(`#out tbody tr td:nth-child(${n})`).allTextContents();

describe('the result table in a real browser', () => {
  it('shows provenance, NULL as NULL, hostile text as text, long values cut with the whole on hover', async () => {
    const bindings = bindingsOf({ primary: [connectionTo(cluster.primary, 'main')] });
    const run = await runCell('SELECT id, total, note FROM orders ORDER BY id', bindings, pool);
    await render(run.payload);
    expect(await page.locator('#out header').textContent()).toMatch(
      /^main.*127\.0\.0\.1:\d+\/postgres · PostgreSQL \d+\.\d+ · primary · LSN \d+\/[0-9A-F]+ · \d+ ms · read-only$/,
    );
    expect(await column(1)).toEqual(['1', '2', '3', '4', '9007199254740993']);
    const notes = page.locator('#out tbody tr td:nth-child(3)');
    expect(await notes.nth(0).textContent()).toBe('<img src=x onerror=window.pwned=1>');
    expect(await page.locator('#out img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await notes.nth(1).textContent()).toBe('NULL');
    expect(await notes.nth(1).getAttribute('class')).toBe('null');
    expect(await notes.nth(2).textContent()).toBe(`${'long '.repeat(40)}…`);
    expect(await notes.nth(2).getAttribute('title')).toBe('long '.repeat(100));
    expect(await notes.nth(3).getAttribute('title')).toBe('two\nlines');
    expect(await page.locator('#out .cnbook-footer').textContent()).toMatch(/^5 rows · sha256:[0-9a-f]{12}$/);
  });

  it('sorts by a column on click, numbers as numbers, NULLs last, and says when rows were cut', async () => {
    const bindings = bindingsOf({ primary: [connectionTo(cluster.primary, 'main')] });
    const run = await runCell('SELECT id, total, note FROM orders ORDER BY id', bindings, pool, { maxRowsStored: 4 });
    await render(run.payload);
    expect(await page.locator('#out .cnbook-footer').textContent()).toMatch(/^showing first 4 of 5 rows · /);
    await page.locator('#out th', { hasText: 'total' }).click();
    expect(await column(2)).toEqual(['2.25', '9.00', '10.50', '100.00']);
    await page.locator('#out th', { hasText: 'total' }).click();
    expect(await column(2)).toEqual(['100.00', '10.50', '9.00', '2.25']);
    await page.locator('#out th', { hasText: 'note' }).click();
    expect((await column(3)).at(-1)).toBe('NULL');
  });

  it('sorts bigints beyond 2^53 and numerics exactly, NaN above Infinity, NULL last both ways', async () => {
    const bindings = bindingsOf({ primary: [connectionTo(cluster.primary, 'main')] });
    // An id column of bigints near 2^53 and a numeric column with PostgreSQL's specials, in no order.
    const sql = `SELECT * FROM (VALUES (9007199254740993, 'NaN'::numeric), (9007199254740992, NULL),
      (10, 'Infinity'), (-3, '-0.5'), (9007199254740994, '0.25'), (NULL, '-Infinity')) AS t(id, n)`;
    const run = await runCell(sql, bindings, pool);
    await render(run.payload);
    await page.locator('#out th', { hasText: 'id' }).click();
    const ids = ['-3', '10', '9007199254740992', '9007199254740993', '9007199254740994', 'NULL'];
    expect(await column(1)).toEqual(ids);
    await page.locator('#out th', { hasText: 'n' }).click();
    expect(await column(2)).toEqual(['-Infinity', '-0.5', '0.25', 'Infinity', 'NaN', 'NULL']);
    await page.locator('#out th', { hasText: 'n' }).click();
    expect(await column(2)).toEqual(['NaN', 'Infinity', '0.25', '-0.5', '-Infinity', 'NULL']);
  });

  it('copies the table as TSV and saves it as CSV, in the order shown, NULL apart from the text NULL', async () => {
    // What a responder pastes into a ticket or a spreadsheet: tabs, newlines, quotes and a hostile value intact.
    const bindings = bindingsOf({ primary: [connectionTo(cluster.primary, 'main')] });
    const sql = `SELECT * FROM (VALUES (2, E'tab\\there', 'say "hi", then go'), (1, NULL, ''),
      (3, 'NULL', E'two\\nlines \\\\ back'), (4, '<b>x</b>', ' pad')) AS t(id, a, b)`;
    const run = await runCell(sql, bindings, pool);
    await render(run.payload);
    await page.locator('#out th', { hasText: 'id' }).click();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.locator('#out button', { hasText: 'Copy as TSV' }).click();
    await expect.poll(() => page.locator('#out .cnbook-action-status').textContent()).toBe(' copied 4 rows');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(
      'id\ta\tb\n1\t\\N\t\n2\ttab\\there\tsay "hi", then go\n' + '3\tNULL\ttwo\\nlines \\\\ back\n4\t<b>x</b>\t pad\n',
    );
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#out a', { hasText: 'Save as CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('select.csv');
    const csv = fs.readFileSync(await download.path(), 'utf8');
    expect(csv).toBe(
      'id,a,b\r\n1,,""\r\n2,tab\there,"say ""hi"", then go"\r\n' +
        '3,NULL,"two\nlines \\ back"\r\n4,<b>x</b>," pad"\r\n',
    );
    // The shown table is untouched by the copy: NULL still shown as NULL, the markup still text.
    expect(await column(2)).toEqual(['NULL', 'tab\there', 'NULL', '<b>x</b>']);
    expect(await page.locator('#out tbody b').count()).toBe(0);
  });

  it('says where a value is shown that the record keeps cut, with its full length and hash', async () => {
    const bindings = bindingsOf({ primary: [connectionTo(cluster.primary, 'main')] });
    const sql = "SELECT repeat('ab', 50) AS v, encode(sha256(convert_to(repeat('ab', 50), 'UTF8')), 'hex') AS h";
    const run = await runCell(sql, bindings, pool, { maxValueBytes: 80 });
    await render(run.payload);
    const sha = run.payload.results[0]!.statements![0]!.rows[0]![1]!;
    const value = page.locator('#out tbody tr td:nth-child(1)');
    expect(await value.textContent()).toBe(`${'ab'.repeat(40)}… (cut: 100 bytes, sha256 ${sha.slice(0, 12)}…)`);
    expect(await value.locator('.cnbook-cut').count()).toBe(1);
  });

  it('puts a primary and a stale replica side by side and marks the rows that differ', async () => {
    const [replica] = cluster.replicas;
    const bindings = bindingsOf({
      primary: [connectionTo(cluster.primary, 'main')],
      replicas: [connectionTo(replica!, 'replica')],
    });
    await replica!.query('SELECT pg_wal_replay_pause()');
    try {
      await cluster.primary.query("UPDATE orders SET note = 'refunded' WHERE id = 2");
      const run = await runCell('-- @on all\nSELECT id, note FROM orders WHERE id <= 2 ORDER BY id', bindings, pool);
      await render(run.payload);
      expect(await page.locator('#out .cnbook-compare').getAttribute('class')).toBe('cnbook-compare differ');
      expect(await page.locator('#out .cnbook-target header strong').allTextContents()).toEqual(['main', 'replica']);
      expect(await page.locator('#out .cnbook-target').nth(1).locator('header').textContent()).toMatch(/ · standby · /);
      const marks = await page
        .locator('#out .cnbook-target')
        .evaluateAll((boxes) => boxes.map((b) => Array.from(b.querySelectorAll('tbody tr'), (tr) => tr.className)));
      expect(marks).toEqual([
        ['', 'differs'],
        ['', 'differs'],
      ]);
    } finally {
      await replica!.query('SELECT pg_wal_replay_resume()');
    }
  });
});
