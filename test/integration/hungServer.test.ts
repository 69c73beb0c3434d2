/**
 * A hung server (postmaster and backends stopped with SIGSTOP: a frozen VM, a host swapping, a network
 * path that drops packets without a reset) must not hang the run. The cancel it never answers is followed,
 * after a grace, by dropping the connection, and the cell ends "server not responding".
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { startStandalone, PgServer } from '../helpers/pgCluster';
import { diffTable, sessionSide } from '../../src/core/diff';
import { executeProbeCell } from '../../src/core/probes/execute';
import { SessionPool } from '../../src/core/sql/sessionPool';
import { NodePostgresClient } from '../../src/drivers/pgClient';
import { bindingsOf, connectionTo, runCell } from './sqlHarness';

let server: PgServer;
/** The healthy side of the diff and reconcile cases: only `server` hangs. */
let other: PgServer;
let stopped: number[] = [];

beforeAll(async () => {
  [server, other] = await Promise.all([startStandalone(), startStandalone()]);
  const load = `CREATE TABLE items (id int PRIMARY KEY, name text);
    INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 2000) g`;
  await Promise.all([server.query(load), other.query(`${load}; UPDATE items SET name = 'new' WHERE id <= 10`)]);
});
afterEach(() => resume());
afterAll(async () => Promise.all([server?.destroy(), other?.destroy()]));

/** The postmaster and every process it started. */
function serverProcesses(): number[] {
  const postmaster = Number(fs.readFileSync(`${server.dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  const children = fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      const stat = safeStat(pid);
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
    })
    .map(Number);
  return [postmaster, ...children];
}

function safeStat(pid: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}

/** A backend may exit between the listing and the signal: that one needs no signal. */
function signal(pids: number[], name: NodeJS.Signals): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, name);
      return true;
    } catch {
      return false;
    }
  });
}

function freeze(): void {
  stopped = signal(serverProcesses(), 'SIGSTOP');
}

function resume(): void {
  signal(stopped, 'SIGCONT');
  stopped = [];
}

function newPool(): SessionPool {
  return new SessionPool(new NodePostgresClient(async () => undefined, { cancelGraceMs: 1000 }), {
    connectTimeoutMs: 2000,
    applicationName: 'cnbook-hung-test',
  });
}

const bindings = () => bindingsOf({ primary: [connectionTo(server, 'main')] });

describe('a server that stops answering mid-query', () => {
  it('ends a SQL cell "server not responding" within its timeout and the grace', async () => {
    const pool = newPool();
    const started = Date.now();
    const running = runCell('SELECT pg_sleep(60)', bindings(), pool, { statementTimeoutMs: 2000 });
    setTimeout(freeze, 500);
    const run = await running;
    const elapsed = Date.now() - started;
    await pool.closeAll();
    expect(run.ok).toBe(false);
    expect(run.payload.results[0]?.error).toMatchObject({ kind: 'timeout' });
    expect(run.payload.results[0]?.error?.message).toMatch(/server not responding: main .* dropped/);
    // Timeout 2 s, the watchdog's second, a 1 s grace: far below the 60 s the query would take.
    expect(elapsed).toBeLessThan(20_000);
  });

  it("bounds a probe's own query on a session opened before the server hung", async () => {
    const pool = newPool();
    const options = {
      bindings: bindings(),
      pool,
      defaultRole: 'primary',
      statementTimeoutMs: 2000,
      lockTimeoutMs: 1000,
      writesPermitted: false,
    };
    await executeProbeCell('locks on=primary', options);
    freeze();
    const started = Date.now();
    const findings = await executeProbeCell('locks on=primary', options);
    const elapsed = Date.now() - started;
    await pool.closeAll();
    expect(findings.map((f) => f.severity)).toContain('unknown');
    expect(JSON.stringify(findings)).toMatch(/server not responding/);
    expect(elapsed).toBeLessThan(20_000);
  });

  it('bounds a new connection to it by the connect timeout', async () => {
    freeze();
    const pool = newPool();
    const started = Date.now();
    const run = await runCell('SELECT 1', bindings(), pool, { statementTimeoutMs: 2000 });
    await pool.closeAll();
    expect(run.payload.results[0]?.error?.message).toMatch(/no answer within 2000 ms/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('bounds a table diff whose target hangs between its queries', async () => {
    const pool = newPool();
    const sides = () =>
      [
        sessionSide(pool, connectionTo(other, 'src'), 1000),
        sessionSide(pool, connectionTo(server, 'dst'), 1000),
      ] as const;
    const warm = await diffTable(...sides(), { table: 'items', queryTimeoutMs: 2000 });
    expect(warm.changed).toBe(10);
    freeze();
    const started = Date.now();
    const failed = await diffTable(...sides(), { table: 'items', queryTimeoutMs: 2000 }).catch((e: Error) => e);
    const elapsed = Date.now() - started;
    await pool.closeAll();
    expect((failed as Error).message).toMatch(/server not responding: dst/);
    expect(elapsed).toBeLessThan(20_000);
  });

  it('bounds a reconcile whose copy hangs, and says so rather than ok', async () => {
    const pool = newPool();
    const options = {
      bindings: bindingsOf({
        primary: [connectionTo(other, 'src')],
        copy: [connectionTo(server, 'dst', { allowWrites: true })],
      }),
      pool,
      defaultRole: 'primary',
      statementTimeoutMs: 2000,
      lockTimeoutMs: 1000,
      writesPermitted: true,
      confirmWrite: () => Promise.resolve(true),
    };
    await executeProbeCell('topology on=copy', options);
    freeze();
    const started = Date.now();
    const findings = await executeProbeCell('reconcile table=items from=primary to=copy apply=yes', options);
    const elapsed = Date.now() - started;
    resume();
    await pool.closeAll();
    expect(findings.map((f) => f.severity)).not.toContain('ok');
    expect(JSON.stringify(findings)).toMatch(/server not responding/);
    expect(elapsed).toBeLessThan(30_000);
    const [{ n }] = await server.query("SELECT count(*)::int AS n FROM items WHERE name = 'new'");
    expect(n).toBe(0);
  });
});
