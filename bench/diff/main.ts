/**
 * `npm run bench:diff -- --rows N --drift F [--pattern spread|clustered]`: two real servers, the same table
 * on both, drift of every kind on the target, then the four methods of methods.ts in the same run, on
 * loopback and with the target behind a relay that stands for a link between regions. Prints a table
 * and the ratios of the engine to the other three.
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { startStandalone, type PgServer } from '../../test/helpers/pgCluster';
import { drift, fillSql, TABLE_SQL, type Pattern, type Truth } from './data';
import { childMain, type Found, type MethodName } from './methods';
import { relayMain } from './relay';

interface Measured extends Found {
  ms: number;
  peakRssMb: number;
  wireBytes?: number;
}

interface Options {
  rows: number;
  drift: number;
  pattern: Pattern;
  link: boolean;
  equal: boolean;
  methods: MethodName[];
}

function parse(argv: string[]): Options {
  const options: Options = {
    rows: 1_000_000,
    drift: 0.001,
    pattern: 'spread',
    link: true,
    equal: true,
    methods: ['floor', 'engine', 'full', 'bisection'],
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--rows') options.rows = Number(value);
    else if (flag === '--drift') options.drift = Number(value);
    else if (flag === '--pattern') options.pattern = value as Pattern;
    else if (flag === '--no-link') options.link = false;
    else if (flag === '--no-equal') options.equal = false;
    else if (flag === '--methods') options.methods = (value ?? '').split(',') as MethodName[];
    else
      throw new Error(
        `unknown option ${flag}; usage: --rows N --drift F [--pattern spread|clustered] [--no-link] [--no-equal] [--methods floor,engine,full,bisection]`,
      );
    if (flag !== '--no-link' && flag !== '--no-equal') i++;
  }
  if (!(options.rows > 0) || !(options.drift >= 0) || !['spread', 'clustered'].includes(options.pattern))
    throw new Error('--rows must be positive, --drift a fraction (0.001 = 0.1%), --pattern spread or clustered');
  return options;
}

function runProcess(args: string[], onLine?: (line: string) => void): { done: Promise<string>; kill: () => void } {
  const child = spawn(process.execPath, [__filename, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (onLine) out.split('\n').slice(0, -1).forEach(onLine);
  });
  const done = new Promise<string>((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 || code === null ? resolve(out) : reject(new Error(`${args.join(' ')} exited ${code}`)),
    ),
  );
  return { done, kill: () => child.kill('SIGTERM') };
}

/** Starts the relay in front of `port`; resolves with its port and a stop() that tells the bytes carried. */
async function relay(port: number): Promise<{ port: number; stop: () => Promise<number> }> {
  let resolvePort: (p: number) => void = () => undefined;
  const ready = new Promise<number>((r) => (resolvePort = r));
  const process = runProcess(['relay', String(port), String(100e6), '20'], (line) => {
    if (/^\d+$/.test(line)) resolvePort(Number(line));
  });
  const relayPort = await ready;
  return {
    port: relayPort,
    stop: async () => {
      process.kill();
      const out = await process.done;
      return Number(/bytes (\d+)/.exec(out)?.[1] ?? NaN);
    },
  };
}

async function measure(method: MethodName, source: PgServer, target: PgServer, link: boolean): Promise<Measured> {
  const shaped = link ? await relay(target.port) : undefined;
  const out = await runProcess(['child', method, String(source.port), String(shaped?.port ?? target.port)]).done;
  const measured = JSON.parse(out) as Measured;
  if (shaped) measured.wireBytes = await shaped.stop();
  return measured;
}

function score(found: Found, truth: Truth): { recall: number; precision: number } {
  const want = new Set([...truth.missingInTarget].map((k) => `m${k}`));
  for (const k of truth.missingInSource) want.add(`e${k}`);
  for (const k of truth.changed) want.add(`c${k}`);
  const got = [
    ...found.missingInTarget.map((k) => `m${k}`),
    ...found.missingInSource.map((k) => `e${k}`),
    ...found.changed.map((k) => `c${k}`),
  ];
  const hits = got.filter((k) => want.has(k)).length;
  return { recall: want.size === 0 ? 1 : hits / want.size, precision: got.length === 0 ? 1 : hits / got.length };
}

const LABELS: Record<MethodName, string> = {
  full: '(a) full fetch, compare in client',
  bisection: '(b) checksum bisection (32, 16384)',
  floor: '(c) one hash scan per side (floor)',
  engine: '(d) engine',
};

function mb(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}

function printTable(title: string, results: Map<MethodName, Measured>, truth: Truth | undefined): void {
  console.log(
    `\n${title}\n| method | time s | bytes received | queries | client peak RSS MB | recall | precision |\n|---|---:|---:|---:|---:|---:|---:|`,
  );
  for (const [name, m] of results) {
    const s = truth && name !== 'floor' ? score(m, truth) : undefined;
    const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(2)}%`);
    const wire = m.wireBytes !== undefined ? ` (wire ${mb(m.wireBytes)})` : '';
    console.log(
      `| ${LABELS[name]}${m.method ? ` [${m.method}]` : ''} | ${(m.ms / 1000).toFixed(2)} | ${mb(m.bytes)}${wire} | ${m.queries} | ${m.peakRssMb.toFixed(0)} | ${pct(s?.recall)} | ${pct(s?.precision)} |`,
    );
  }
  const d = results.get('engine');
  if (!d) return;
  const ratios = (['full', 'bisection', 'floor'] as const)
    .filter((n) => results.has(n))
    .map(
      (n) =>
        `${n}: time ${(d.ms / (results.get(n) as Measured).ms).toFixed(2)}×, bytes ${(d.bytes / Math.max(1, (results.get(n) as Measured).bytes)).toFixed(4)}×`,
    );
  console.log(`\nengine / ${ratios.join('; ')}`);
}

async function load(servers: PgServer[], rows: number): Promise<void> {
  await Promise.all(servers.map((s) => s.query(`${TABLE_SQL}; ${fillSql(rows)}`)));
}

async function main(options: Options): Promise<void> {
  const config = {
    shared_buffers: options.rows > 2_000_000 ? '1GB' : '256MB',
    max_wal_size: '4GB',
    checkpoint_timeout: '30min',
  };
  const [source, target] = await Promise.all([
    startStandalone({ primaryConfig: config }),
    startStandalone({ primaryConfig: config }),
  ]);
  try {
    const started = performance.now();
    await load([source, target], options.rows);
    const drifted = drift(options.rows, options.drift, options.pattern);
    const vacuum = (s: PgServer) => s.query('VACUUM ANALYZE bench').then(() => s.query('SELECT count(*) FROM bench'));
    console.log(
      `# bench:diff ${options.rows} rows, ${options.drift * 100}% ${options.pattern} drift; ${os.cpus().length} cores, load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    const methods = options.methods;
    if (options.equal) {
      await Promise.all([vacuum(source), vacuum(target)]);
      const equal = new Map<MethodName, Measured>();
      for (const m of ['floor', 'engine'] as const) equal.set(m, await measure(m, source, target, false));
      printTable('## equal tables, loopback', equal, {
        missingInTarget: new Set(),
        missingInSource: new Set(),
        changed: new Set(),
      });
    }
    for (const statement of drifted.sql) await target.query(statement);
    await Promise.all([vacuum(source), vacuum(target)]);
    console.log(
      `(loaded and drifted in ${((performance.now() - started) / 1000).toFixed(0)} s; ${drifted.truth.changed.size} changed, ${drifted.truth.missingInTarget.size} missing, ${drifted.truth.missingInSource.size} extra)`,
    );
    const loopback = new Map<MethodName, Measured>();
    for (const m of methods) loopback.set(m, await measure(m, source, target, false));
    printTable('## drifted, loopback', loopback, drifted.truth);
    if (options.link) {
      const limited = new Map<MethodName, Measured>();
      for (const m of methods) limited.set(m, await measure(m, source, target, true));
      printTable('## drifted, target behind a 100 Mbit/s link with 20 ms each way', limited, drifted.truth);
    }
    console.log(
      `\nload average at the end: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    await Promise.all([source.destroy(), target.destroy()]);
  }
}

const [mode, ...rest] = process.argv.slice(2);
const entry =
  mode === 'child' ? childMain(rest) : mode === 'relay' ? relayMain(rest) : main(parse(process.argv.slice(2)));
entry.catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
