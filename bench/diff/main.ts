/**
 * `npm run bench:diff -- [--rows 1M] [--cases equal,drift,changed,all] [--links loopback,limited] [--reps 3]
 * [--methods engine,peer,floor,copy,full,bisection]`: two real servers, the same table on both, then for
 * each case (equal; 0.1% spread drift and 10% changed, drift of every kind on the target; all: 100% changed)
 * each method on the same two servers, through a relay in front of both that counts the bytes on the
 * client's link: unlimited (loopback) and 100 Mbit/s with 20 ms each way (limited). Medians of the reps;
 * see bench/README.md.
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { startStandalone, type PgServer } from '../../test/helpers/pgCluster';
import { changeAll, drift, fillSql, restoreSql, TABLE_SQL, type Pattern, type Truth } from './data';
import { childMain, type MethodName } from './methods';
import { DEBIAN_PG15_BIN, peerUnavailable } from './peer';
import { relayMain } from './relay';
import { caseRow, HEADER, printRuns, type CaseResult, type Measured } from './report';

type Drifted = ReturnType<typeof drift> | undefined;
/** Each case's label and its drift on the target; `all` (every row changed in one column) is not run by default. */
const CASES = {
  equal: { label: 'equal', make: (): Drifted => undefined },
  drift: { label: '0.1% drift', make: (rows: number, p: Pattern): Drifted => drift(rows, 0.001, p) },
  changed: { label: '10% changed', make: (rows: number, p: Pattern): Drifted => drift(rows, 0.1, p) },
  all: { label: '100% changed', make: (rows: number): Drifted => changeAll(rows) },
} as const;
type CaseName = keyof typeof CASES;
const LINKS = { loopback: ['inf', '0'], limited: [String(100e6), '20'] } as const;
type LinkName = keyof typeof LINKS;
const NO_DIFFERENCES: Truth = { missingInTarget: new Set(), missingInSource: new Set(), changed: new Set() };

interface Options {
  rows: number;
  pattern: Pattern;
  cases: CaseName[];
  links: LinkName[];
  reps: number;
  methods: MethodName[];
}

const USAGE =
  'usage: --rows N (100k, 1M, 10M) [--pattern spread|clustered] [--cases equal,drift,changed,all] ' +
  '[--links loopback,limited] [--reps 3] [--methods engine,peer,floor,copy,full,bisection]';

function count(text: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)([kM]?)$/.exec(text ?? '');
  if (!match) return NaN;
  return Number(match[1]) * (match[2] === 'M' ? 1e6 : match[2] === 'k' ? 1e3 : 1);
}

function list<T extends string>(value: string | undefined, allowed: readonly string[]): T[] {
  const items = (value ?? '').split(',');
  const wrong = items.find((i) => !allowed.includes(i));
  if (wrong !== undefined) throw new Error(`'${wrong}' is not one of ${allowed.join(', ')}; ${USAGE}`);
  return items as T[];
}

function parse(argv: string[]): Options {
  const options: Options = {
    rows: 100_000,
    pattern: 'spread',
    cases: ['equal', 'drift', 'changed'],
    links: ['loopback', 'limited'],
    reps: 3,
    methods: ['engine', 'peer', 'floor', 'copy'],
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--rows') options.rows = count(value);
    else if (flag === '--pattern') options.pattern = list<Pattern>(value, ['spread', 'clustered'])[0] as Pattern;
    else if (flag === '--cases') options.cases = list(value, Object.keys(CASES));
    else if (flag === '--links') options.links = list(value, Object.keys(LINKS));
    else if (flag === '--reps') options.reps = count(value);
    else if (flag === '--methods')
      options.methods = list(value, ['engine', 'peer', 'floor', 'copy', 'full', 'bisection']);
    else throw new Error(`unknown option ${flag}; ${USAGE}`);
  }
  if (!(options.rows > 0) || !(options.reps >= 1)) throw new Error(`--rows and --reps must be positive; ${USAGE}`);
  return options;
}

function runProcess(args: string[], onLine?: (line: string) => void): { done: Promise<string>; kill: () => void } {
  const child = spawn(process.execPath, [__filename, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const lines = (pending + d.toString()).split('\n');
    pending = lines.pop() ?? '';
    if (onLine) lines.forEach(onLine);
  });
  const done = new Promise<string>((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 || code === null ? resolve(out) : reject(new Error(`${args.join(' ')} exited ${code}`)),
    ),
  );
  return { done, kill: () => child.kill('SIGTERM') };
}

/** The relay in front of both servers; resolves with its ports and a stop() that tells the bytes carried. */
async function relay(link: LinkName, ports: number[]): Promise<{ ports: number[]; stop: () => Promise<number> }> {
  let resolvePorts: (p: number[]) => void = () => undefined;
  const ready = new Promise<number[]>((r) => (resolvePorts = r));
  const child = runProcess(['relay', ...LINKS[link], ...ports.map(String)], (line) => {
    if (line.startsWith('{"ports"')) resolvePorts((JSON.parse(line) as { ports: number[] }).ports);
  });
  const relayPorts = await ready;
  return {
    ports: relayPorts,
    stop: async () => {
      child.kill();
      const last = (await child.done).trim().split('\n').pop() ?? '{}';
      const { down, up } = JSON.parse(last) as { down: number; up: number };
      return down + up;
    },
  };
}

async function measure(method: MethodName, servers: PgServer[], link: LinkName): Promise<Measured> {
  const shaped = await relay(
    link,
    servers.map((s) => s.port),
  );
  try {
    const out = await runProcess(['child', method, ...shaped.ports.map(String)]).done;
    return { ...(JSON.parse(out) as Measured), wireBytes: await shaped.stop() };
  } catch (error) {
    await shaped.stop().catch(() => undefined);
    throw error;
  }
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}

async function runCase(name: CaseName, truth: Truth, servers: PgServer[], options: Options): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const link of options.links) {
    const result: CaseResult = {
      name: CASES[name].label,
      link,
      truth,
      runs: new Map(),
      loadStart: loadAverage(),
      loadEnd: '',
    };
    // Reps outside methods, so that a burst of load on the machine falls on every method alike.
    for (let rep = 0; rep < options.reps; rep++)
      for (const method of options.methods) {
        const measured = await measure(method, servers, link);
        result.runs.set(method, [...(result.runs.get(method) ?? []), measured]);
        process.stderr.write(`  ${name} ${link} ${method} #${rep + 1}: ${(measured.ms / 1000).toFixed(2)} s\n`);
      }
    result.loadEnd = loadAverage();
    printRuns(result);
    results.push(result);
  }
  return results;
}

async function settle(servers: PgServer[]): Promise<void> {
  await Promise.all(
    servers.map((s) => s.query('VACUUM ANALYZE bench').then(() => s.query('SELECT count(*) FROM bench'))),
  );
}

async function startServers(peer: boolean, rows: number): Promise<PgServer[]> {
  const config = {
    shared_buffers: rows > 2_000_000 ? '1GB' : '256MB',
    max_wal_size: '4GB',
    checkpoint_timeout: '30min',
    // The same for every tool: one backend per side, no JIT (the engine sets jit=off itself anyway).
    jit: 'off',
    max_parallel_workers_per_gather: '0',
  };
  if (peer) Object.assign(process.env, { CNBOOK_PG_BIN_DIR: DEBIAN_PG15_BIN, CNBOOK_PG_MAJOR: '15' });
  const servers = await Promise.all([0, 1].map(() => startStandalone({ primaryConfig: config })));
  const extension = peer ? 'CREATE EXTENSION pgcmp; ' : '';
  await Promise.all(servers.map((s) => s.query(`${extension}${TABLE_SQL}; ${fillSql(rows)}`)));
  return servers;
}

async function main(options: Options): Promise<void> {
  const skipped = options.methods.includes('peer') ? peerUnavailable() : undefined;
  if (skipped) {
    console.log(`# the peer (pg_comparator) is SKIPPED: ${skipped}`);
    options.methods = options.methods.filter((m) => m !== 'peer');
  }
  const peer = options.methods.includes('peer');
  const started = performance.now();
  const servers = await startServers(peer, options.rows);
  try {
    const version = (await (servers[0] as PgServer).query('SELECT version()'))[0].version as string;
    console.log(`# bench:diff ${options.rows} rows; ${os.cpus().length} cores, load ${loadAverage()}; ${version}`);
    console.log(`(loaded in ${((performance.now() - started) / 1000).toFixed(0)} s; medians of ${options.reps})`);
    const target = servers[1] as PgServer;
    const results: CaseResult[] = [];
    for (const name of options.cases) {
      const drifted = CASES[name].make(options.rows, options.pattern);
      for (const statement of drifted?.sql ?? []) await target.query(statement);
      await settle(servers);
      results.push(...(await runCase(name, drifted?.truth ?? NO_DIFFERENCES, servers, options)));
      for (const statement of drifted ? restoreSql(drifted.truth) : []) await target.query(statement);
    }
    console.log(`\n## medians of ${options.reps}, ${options.rows} rows\n${HEADER}\n${results.map(caseRow).join('\n')}`);
    if (skipped) console.log(`\nthe peer (pg_comparator) was SKIPPED: ${skipped}`);
    console.log(`\nload average at the end: ${loadAverage()}`);
  } finally {
    await Promise.all(servers.map((s) => s.destroy()));
  }
}

const [mode, ...rest] = process.argv.slice(2);
const entry =
  mode === 'child' ? childMain(rest) : mode === 'relay' ? relayMain(rest) : main(parse(process.argv.slice(2)));
entry.catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
