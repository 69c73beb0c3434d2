import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNotebook } from '../../src/core/format';
import { timelineOf } from '../../src/core/record/timeline';
import { buildCli, CLI, runCliAsync } from '../helpers/builtCli';
import { startStandalone, type PgServer } from '../helpers/pgCluster';

let server: PgServer;
let dir: string;

const CELLS = 4;
const RUNBOOK = `---\ncnbook: 1\ntitle: Lock\n---\n# Lock\n${Array.from(
  { length: CELLS },
  (_, i) => `\n\`\`\`sql\nSELECT ${i + 1} AS n\n\`\`\`\n`,
).join('')}`;

beforeAll(async () => {
  buildCli();
  server = await startStandalone();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-lock-'));
  const db = { host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres', sslmode: 'disable' };
  fs.writeFileSync(
    path.join(dir, 'connections.json'),
    JSON.stringify({ connections: { db }, profiles: { one: { primary: 'db' } } }),
  );
});
afterAll(async () => {
  await server?.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh record of CELLS quick cells, named `name`. */
function record(name: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, RUNBOOK);
  return file;
}

/** `cnbook run FILE --out FILE` (in place), with more arguments after. */
function runInPlace(file: string, ...more: string[]) {
  const args = ['run', file, '--out', file, '--connections', 'connections.json', '--profile', 'one', ...more];
  return runCliAsync(args, { cwd: dir, env: { PGPASSWORD: '' } });
}

const runEntries = (file: string) =>
  timelineOf(parseNotebook(fs.readFileSync(file, 'utf8')).cells).filter((e) => e.kind === 'run');

/** Returns once a cnbook backend runs the `pg_sleep(30)` cell (up to 10 s). */
async function sleeping(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const rows = await server.query(
      "SELECT 1 FROM pg_stat_activity WHERE application_name = 'cnbook' AND query LIKE '%pg_sleep(30)%'",
    );
    if (rows.length > 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A pid that was a process of this host and is no longer. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('one record, one writer', () => {
  it('8 concurrent in-place runs with --wait: each waits its turn, all 8 keep their timeline entries', async () => {
    const file = record('waited.cnbook');
    const runs = await Promise.all(Array.from({ length: 8 }, () => runInPlace(file, '--wait=180s')));
    expect(runs.map((r) => r.code)).toEqual(Array(8).fill(0));
    expect(runEntries(file)).toHaveLength(8 * CELLS);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  }, 240_000);

  it('8 concurrent in-place runs without --wait: a loser says who holds the lock, no entry dropped', async () => {
    const file = record('raced.cnbook');
    const runs = await Promise.all(Array.from({ length: 8 }, () => runInPlace(file)));
    const winners = runs.filter((r) => r.code === 0);
    const losers = runs.filter((r) => r.code !== 0);
    expect(winners.length).toBeGreaterThan(0);
    for (const loser of losers) {
      expect(loser.code).toBe(3);
      expect(loser.stderr).toMatch(
        /raced\.cnbook is being written by another cnbook run \((pid \d+ on \S+ since \S+|a run starting up)\)/,
      );
    }
    // Every run that said it wrote the record has its entries there; a loser wrote nothing.
    expect(runEntries(file)).toHaveLength(winners.length * CELLS);
  }, 240_000);

  it('takes over a lock left by a dead process on this host, and says so', async () => {
    const file = record('stale.cnbook');
    const dead = deadPid();
    const since = '2026-01-01T00:00:00.000Z';
    fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: dead, host: os.hostname(), since }));
    const run = await runInPlace(file);
    expect(run.stderr).toContain(
      `took over the lock of ${file} left by pid ${dead} on ${os.hostname()} (since ${since})`,
    );
    expect(run.code).toBe(0);
    expect(runEntries(file)).toHaveLength(CELLS);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  it('8 runs finding one dead holder: exactly one takes the lock over, the others wait, no entry is lost', async () => {
    const file = record('stale8.cnbook');
    const since = '2026-01-01T00:00:00.000Z';
    fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: deadPid(), host: os.hostname(), since }));
    const runs = await Promise.all(Array.from({ length: 8 }, () => runInPlace(file, '--wait=180s')));
    expect(runs.map((r) => r.code)).toEqual(Array(8).fill(0));
    expect(runs.filter((r) => r.stderr.includes('took over the lock'))).toHaveLength(1);
    expect(runEntries(file)).toHaveLength(8 * CELLS);
  }, 240_000);

  it('a second stop signal quits at once, and the lock still goes', async () => {
    const file = path.join(dir, 'quit.cnbook');
    fs.writeFileSync(file, `${RUNBOOK}\n\`\`\`sql\nSELECT pg_sleep(30)\n\`\`\`\n`);
    const args = ['run', file, '--out', file, '--connections', 'connections.json', '--profile', 'one'];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, PGPASSWORD: '' } });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await sleeping();
      expect(fs.existsSync(`${file}.lock`)).toBe(true);
      // Two different signals (two of one kind may be delivered as one), in whichever order they arrive.
      child.kill('SIGTERM');
      child.kill('SIGINT');
      expect([130, 143]).toContain(await exited);
      expect(fs.existsSync(`${file}.lock`)).toBe(false);
    } finally {
      // Quitting at once does not wait for the cancel: the backend may outlive the run, and other tests wait on it.
      const others = "FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()";
      await server.query(`SELECT pg_terminate_backend(pid) ${others}`);
      for (let i = 0; i < 100 && (await server.query(`SELECT 1 ${others}`)).length > 0; i++)
        await new Promise((r) => setTimeout(r, 50));
    }
  });

  it('leaves a lock of another host alone: names the holder, waits only as long as --wait says', async () => {
    const file = record('foreign.cnbook');
    const holder = { pid: process.pid, host: 'elsewhere.example', since: '2026-01-01T00:00:00.000Z' };
    fs.writeFileSync(`${file}.lock`, JSON.stringify(holder));
    const refused = await runInPlace(file);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`(pid ${process.pid} on elsewhere.example since ${holder.since})`);
    expect(refused.stderr).toContain('--wait');
    const waited = await runInPlace(file, '--wait=1s');
    expect(waited.code).toBe(3);
    expect(waited.stderr).toContain('after waiting 1s');
    expect(fs.readFileSync(file, 'utf8')).toBe(RUNBOOK);
    expect(JSON.parse(fs.readFileSync(`${file}.lock`, 'utf8'))).toEqual(holder);
  });

  it('does not overwrite a record saved meanwhile by an editor (which takes no lock): writes beside it', async () => {
    const file = path.join(dir, 'edited.cnbook');
    fs.writeFileSync(file, `${RUNBOOK}\n\`\`\`sql\nSELECT pg_sleep(30)\n\`\`\`\n`);
    const running = runInPlace(file, '--statement-timeout=2s');
    await sleeping();
    const saved = `${fs.readFileSync(file, 'utf8')}\nA note saved from VS Code during the run.\n`;
    fs.writeFileSync(file, saved);
    const run = await running;
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /edited\.cnbook changed on disk during the run .* this run's record is .*edited\.conflict-/,
    );
    expect(fs.readFileSync(file, 'utf8')).toBe(saved);
    const [conflict] = fs.readdirSync(dir).filter((f) => f.startsWith('edited.conflict-'));
    expect(runEntries(path.join(dir, conflict!))).toHaveLength(CELLS + 1);
  });

  it('rewrites a record through its symlink, keeping mode 0600, with the lock beside the real file', async () => {
    const real = path.join(dir, 'records', 'real.cnbook');
    fs.mkdirSync(path.dirname(real), { recursive: true });
    fs.writeFileSync(real, RUNBOOK, { mode: 0o600 });
    fs.chmodSync(real, 0o600);
    const link = path.join(dir, 'linked.cnbook');
    fs.symlinkSync(path.relative(dir, real), link);
    fs.writeFileSync(`${real}.lock`, JSON.stringify({ pid: 1, host: 'elsewhere.example', since: 'x' }));
    expect((await runInPlace(link)).code).toBe(3);
    fs.rmSync(`${real}.lock`);
    const run = await runInPlace(link);
    expect(run.code).toBe(0);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.statSync(real).mode & 0o777).toBe(0o600);
    expect(runEntries(real)).toHaveLength(CELLS);
  });
});
