/**
 * Issue 18: row counts on five nodes where only the paused replica differs (3000 against 3003 on the four
 * others) marked every node "1 row not on every other connection" and every row ≠. On a real sandbox
 * (a primary, three streaming replicas, a logical copy) with us-west's replay paused and three orders
 * written after, the side-by-side result and the row-counts probe name us-west alone.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNotebook } from '../../src/core/format';
import { RESULT_MIME, type CodeCell } from '../../src/core/format/model';
import { parseFault } from '../../src/core/sandbox/faults';
import type { ResultPayload } from '../../src/core/sql/payload';
import { injectFault } from '../../src/sandbox/faults';
import { buildCli, runCliJson } from '../helpers/builtCli';
import { useTempSandbox } from '../helpers/sandboxHome';

const { sandbox, home } = useTempSandbox('cnbook-odd-one-out-', 'default', { replicas: 3 });
const RUNBOOK = [
  '---',
  'cnbook: 2',
  'title: odd one out',
  '---',
  '# Counts',
  '',
  '```sql',
  '-- @on all',
  'SELECT count(*) AS orders FROM orders;',
  '```',
  '',
  '```cnprobe',
  'row-counts tables=orders on=all',
  '```',
  '',
].join('\n');

const node = (name: string) => {
  const found = sandbox.nodes().find((n) => n.name === name);
  if (!found) throw new Error(`the sandbox has no ${name}`);
  return found;
};

/** Until every node but the paused one holds `count` orders (the replicas replay, the copy applies). */
async function caughtUp(count: number, except: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const n of sandbox.nodes().filter((x) => x.name !== except)) {
    for (;;) {
      const [row] = await n.query('SELECT count(*)::int AS n FROM orders');
      if (row?.n === count) break;
      if (Date.now() > deadline) throw new Error(`${n.name} did not reach ${count} orders`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('the odd one out', () => {
  it('is the paused replica alone, in the side-by-side result and in the row-counts finding', async () => {
    buildCli();
    await injectFault(sandbox, parseFault('pause=us-west', sandbox.faultContext()));
    const primary = node('us-east');
    await primary.query(
      `INSERT INTO orders (id, customer_id, status, total_amount, created_at)
       SELECT 1000000 + g, (SELECT min(id) FROM customers), 'paid', 1, now() FROM generate_series(1, 3) g`,
    );
    const [{ n }] = await primary.query('SELECT count(*)::int AS n FROM orders');
    await caughtUp(n as number, 'us-west');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-odd-'));
    const file = path.join(dir, 'odd.cnbook');
    fs.writeFileSync(file, RUNBOOK);
    const out = path.join(dir, 'odd.record.cnbook');
    const run = await runCliJson(['run', file, '--sandbox', '--json', '--out', out], { CNBOOK_SANDBOX_HOME: home });
    const record = parseNotebook(fs.readFileSync(out, 'utf8'));
    const sql = record.cells.find((c): c is CodeCell => c.kind === 'code' && c.language === 'sql')!;
    const item = sql.outputs?.[0]?.items.find((i) => i.mime === RESULT_MIME);
    const payload = JSON.parse(item?.text ?? '{}') as ResultPayload;
    expect(payload.results).toHaveLength(5);
    expect(payload.comparison?.odd).toEqual(['us-west']);
    const marked = Object.entries(payload.comparison?.differingRows ?? {}).filter(([, rows]) => rows.length > 0);
    expect(marked).toEqual([['us-west', [0]]]);
    expect(payload.comparison?.summary).toMatch(/^us-west differs from the other 4 connections/);
    const counts = run.findings.find((f) => f.probe === 'row-counts');
    expect(counts?.deviating).toEqual(['us-west']);
    console.log(`comparison: ${payload.comparison?.summary}; row-counts: ${counts?.summary}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 180_000);
});
