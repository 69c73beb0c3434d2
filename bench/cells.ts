/**
 * `npm run bench:cells`: what `cnbook check` and `cnbook run` cost per cell, at 1,000 and 10,000 trivial
 * cells (a Markdown line and `SELECT 1`, one after the other), against a throwaway PostgreSQL server. Each
 * measure is the built CLI's wall time minus the same command on a runbook with no cells (Node's start, the
 * connection), taken in the same run; the ratio of the per-cell costs at 10,000 and 1,000 cells is what to
 * read: near 1 is linear, 10 would be quadratic. CNBOOK_BENCH_CELLS=1000,3000 picks other sizes;
 * CNBOOK_BENCH_CLI=path measures another build of the CLI (an older one, to compare).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startStandalone } from '../src/sandbox/throwaway';

const root = path.resolve(__dirname, '..');
const CLI = path.resolve(process.env.CNBOOK_BENCH_CLI ?? path.join(root, 'dist', 'cli.js'));
const SIZES = (process.env.CNBOOK_BENCH_CELLS ?? '1000,10000').split(',').map(Number);
const ROUNDS = Number(process.env.CNBOOK_BENCH_ROUNDS ?? 3);

function runbook(dir: string, cells: number): string {
  const file = path.join(dir, `cells-${cells}.cnbook`);
  const body = Array.from({ length: cells }, (_, i) => `\nStep ${i + 1}\n\n\`\`\`sql\nSELECT 1\n\`\`\`\n`);
  fs.writeFileSync(file, `---\ncnbook: 2\ntitle: ${cells} trivial cells\nroles: [primary]\n---\n${body.join('')}`);
  return file;
}

/** The median wall time of the CLI with these arguments, in seconds; it must succeed. */
function seconds(args: string[], rounds = ROUNDS): number {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    times.push(Number(process.hrtime.bigint() - started) / 1e9);
    if (result.status !== 0) throw new Error(`cnbook ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

interface Row {
  cells: number;
  check: number;
  run: number;
}

function report(rows: Row[], baseline: { check: number; run: number }): void {
  const perSecond = (cells: number, s: number) => Math.round(cells / Math.max(s, 1e-3)).toLocaleString('en');
  console.log(
    `CLI: ${path.relative(root, CLI)}; median of ${ROUNDS}; baseline (no cells): check ` +
      `${baseline.check.toFixed(2)} s, run ${baseline.run.toFixed(2)} s, subtracted below.\n`,
  );
  console.log('| cells | check s | check cells/s | run s | run cells/s |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows)
    console.log(
      `| ${r.cells.toLocaleString('en')} | ${r.check.toFixed(2)} | ${perSecond(r.cells, r.check)} | ` +
        `${r.run.toFixed(2)} | ${perSecond(r.cells, r.run)} |`,
    );
  const [small, large] = [rows[0], rows.at(-1)];
  if (!small || !large || small === large) return;
  const ratio = (a: number, b: number) => (a / large.cells / (b / small.cells)).toFixed(2);
  console.log(
    `\nper-cell cost, ${large.cells.toLocaleString('en')} vs ${small.cells.toLocaleString('en')} cells: ` +
      `check ${ratio(large.check, small.check)}×, run ${ratio(large.run, small.run)}× (1 is linear)`,
  );
}

async function main(): Promise<void> {
  const server = await startStandalone();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-bench-cells-'));
  try {
    const connections = path.join(dir, 'connections.json');
    const profiles = { bench: { primary: 'db' } };
    fs.writeFileSync(
      connections,
      JSON.stringify({ connections: { db: { url: server.url, sslmode: 'disable' } }, profiles }),
    );
    const check = (file: string) => seconds(['check', file]);
    const out = path.join(dir, 'record.cnbook');
    const run = (file: string, rounds?: number) =>
      seconds(['run', file, '--connections', connections, '--profile', 'bench', '--json', '--out', out], rounds);
    const empty = runbook(dir, 0);
    const baseline = { check: check(empty), run: run(empty) };
    const rows = SIZES.map((cells) => {
      const file = runbook(dir, cells);
      // A run of the larger sizes takes long on a slow build: once is enough to see the ratio.
      const runRounds = cells > 5000 ? 1 : ROUNDS;
      return { cells, check: check(file) - baseline.check, run: run(file, runRounds) - baseline.run };
    });
    report(rows, baseline);
  } finally {
    await server.stop('immediate').catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
