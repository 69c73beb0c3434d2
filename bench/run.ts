/**
 * `npm run bench`: measures `cnbook run` against baselines taken in the same run on the same server,
 * and prints ratios (the machine is shared and noisy, so absolute numbers are for orientation only).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startStandalone } from '../src/sandbox/throwaway';

const root = path.resolve(__dirname, '..');
const ROWS = Number(process.env.CNBOOK_BENCH_ROWS ?? 1_000_000);
const BIG = `SELECT g AS id, md5(g::text) AS payload, now() AS at FROM generate_series(1, ${ROWS}) g`;

interface Measure {
  seconds: number;
  peakRssMb: number;
}

function measure(args: string[], dir: string): Measure {
  const rssFile = path.join(dir, `rss-${Date.now()}`);
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--require', path.join(root, 'bench', 'maxrss.cjs'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CNBOOK_BENCH_RSS_FILE: rssFile },
    maxBuffer: 1 << 26,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return { seconds, peakRssMb: Number(fs.readFileSync(rssFile, 'utf8')) / 2 ** 20 };
}

function runbook(dir: string, name: string, sql: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `---\ncnbook: 2\ntitle: bench\n---\n\`\`\`sql\n${sql}\n\`\`\`\n`);
  return file;
}

async function main(): Promise<void> {
  const server = await startStandalone();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-bench-'));
  try {
    const connections = path.join(dir, 'connections.json');
    fs.writeFileSync(
      connections,
      JSON.stringify({
        connections: { db: { url: server.url, sslmode: 'disable' } },
        profiles: { bench: { primary: 'db' } },
      }),
    );
    const cli = path.join(root, 'dist', 'cli.js');
    const cnbook = (file: string) => [
      cli,
      'run',
      file,
      '--connections',
      connections,
      '--profile',
      'bench',
      '--out',
      `${file}.out`,
      '--max-rows',
      '1000',
    ];
    const tiny = measure(cnbook(runbook(dir, 'tiny.cnbook', 'SELECT 1')), dir);
    const big = measure(cnbook(runbook(dir, 'big.cnbook', BIG)), dir);
    const naive = measure([path.join(root, 'bench', 'naiveQuery.cjs'), server.url, BIG], dir);
    const outBytes = fs.statSync(path.join(dir, 'big.cnbook.out')).size;
    const rows = [
      ['cnbook run, 1 row (baseline)', tiny],
      [`cnbook run, ${ROWS} rows, first 1000 kept`, big],
      [`pg client.query, ${ROWS} rows in memory (baseline)`, naive],
    ] as const;
    for (const [label, m] of rows)
      console.log(
        `${label.padEnd(52)} ${m.seconds.toFixed(2).padStart(7)} s  peak RSS ${m.peakRssMb.toFixed(0).padStart(5)} MB`,
      );
    console.log(`\npeak RSS, ${ROWS} rows vs 1 row:             ${(big.peakRssMb / tiny.peakRssMb).toFixed(2)}x`);
    console.log(`peak RSS, cnbook vs unbounded client.query:    ${(big.peakRssMb / naive.peakRssMb).toFixed(2)}x`);
    console.log(`time, cnbook (cursor + sha256) vs client.query: ${(big.seconds / naive.seconds).toFixed(2)}x`);
    console.log(`filled notebook size: ${(outBytes / 1024).toFixed(0)} KiB`);
  } finally {
    await server.stop('immediate').catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
