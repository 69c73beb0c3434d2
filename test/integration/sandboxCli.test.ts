/** `cnbook sandbox ...` and `cnbook run --sandbox` through the built CLI, on real servers. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { postmasterPid } from '../../src/sandbox/cleanup';
import { useSandboxHome } from '../helpers/sandboxHome';

const home = useSandboxHome('cnbook-sandbox-cli-');
const { cnbook } = home;
const folder = path.join(home.dir, 'default');

function runningServers(): string[] {
  if (!fs.existsSync(folder)) return [];
  return fs.readdirSync(folder).filter((name) => postmasterPid(path.join(folder, name)) !== undefined);
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('cnbook sandbox, bad input', () => {
  it('lists the faults, one line each', () => {
    const { code, stdout } = cnbook(['sandbox', '--list-faults']);
    expect(code).toBe(0);
    expect(
      stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual([
      'pause=REPLICA',
      'lag=REPLICA:DURATION',
      'drift=TABLE:FRACTION',
      'orphans=TABLE:COUNT',
      'totals=COUNT',
      'prepared=COUNT',
      'locks',
      'splitbrain=REPLICA',
      'causal=COUNT',
      'stale-session=REPLICA',
      'skew=SERVER:OFFSET',
      'failover',
      'switchover=SERVER',
      'down=SERVER',
      'proxy',
    ]);
  });

  it('refuses a fault typo before starting anything', () => {
    const { code, stderr } = cnbook(['sandbox', 'start', '--fault', 'pasue=us-west']);
    expect(code).toBe(3);
    expect(stderr).toContain("--fault 'pasue=us-west', column 1: unknown fault 'pasue' (did you mean 'pause'?)");
    expect(fs.existsSync(folder)).toBe(false);
  });

  it('refuses a fault on a replica the sandbox will not have', () => {
    const { code, stderr } = cnbook(['sandbox', 'start', '--replicas', '1', '--fault', 'pause=eu-west']);
    expect(code).toBe(3);
    expect(stderr).toMatch(/no replica 'eu-west'.*; the sandbox has: us-west\n/);
    expect(fs.existsSync(folder)).toBe(false);
  });

  it('says there is nothing to stop', () => {
    const { code, stderr } = cnbook(['sandbox', 'stop']);
    expect(code).toBe(3);
    expect(stderr).toContain("sandbox 'default' is not running (no sandbox in");
  });
});

describe('cnbook sandbox start, run --sandbox, stop', () => {
  it('starts with a fault, refuses a second start, and a triage run finds the paused replica', () => {
    const started = cnbook(['sandbox', 'start', '--replicas', '1', '--fault', 'pause=us-west']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain('injected pause=us-west');
    expect(runningServers().sort()).toEqual(['target', 'us-east', 'us-west']);
    const twice = cnbook(['sandbox', 'start']);
    expect(twice.code).toBe(3);
    expect(twice.stderr).toMatch(/sandbox 'default' is already running \(us-east on \d+/);
    const out = path.join(home.dir, 'triage.cnbook');
    const run = cnbook(['run', 'runbooks/triage.cnbook', '--sandbox', '--out', out]);
    expect([1, 2]).toContain(run.code);
    expect(run.stdout).toMatch(/replication-lag us-west: behind.*replay PAUSED/);
    expect(fs.readFileSync(out, 'utf8')).toContain('replay PAUSED');
    const wrong = cnbook(['sandbox', 'inject', 'splitbrain=eu-west']);
    expect(wrong.stderr).toContain("no replica 'eu-west'");
  });

  it('stops every server and keeps the data; a run --sandbox then starts it for the run only', async () => {
    expect(cnbook(['sandbox', 'stop']).code).toBe(0);
    expect(runningServers()).toEqual([]);
    const run = cnbook(['run', 'runbooks/orders-vs-items.cnbook', '--sandbox']);
    expect(run.stderr).toContain("starting sandbox 'default' (stops when this run ends");
    expect([0, 1, 2]).toContain(run.code);
    // Stopped by the run before it exits (the watchdog is only the backstop): status is true at once.
    expect(runningServers()).toEqual([]);
    const status = cnbook(['sandbox', 'status']);
    expect(status.stdout).toMatch(/sandbox 'default': stopped/);
    // The paused replay of the first test ended with the servers: a stopped sandbox lists no fault at work.
    expect(status.stdout).toContain('faults: none while stopped\n');
    await eventually(() => runningServers().length === 0, 'servers left');
  });

  it('keeps a fault in the data over a restart, and a start with that fault again is a no-op for it', () => {
    // A responder re-runs their practice command: orphans are in the data already, the same keys again
    // failed with duplicate key value violates unique constraint "order_items_pkey".
    const first = cnbook(['sandbox', 'start', '--fault', 'orphans=order_items:3']);
    expect(first.stdout, first.stderr).toContain('injected orphans=order_items:3');
    expect(cnbook(['sandbox', 'stop']).code).toBe(0);
    const stopped = cnbook(['sandbox', 'status']).stdout;
    expect(stopped).toContain('faults: none while stopped; its data keeps orphans=order_items:3 for the next start');
    const again = cnbook(['sandbox', 'start', '--fault', 'orphans=order_items:3']);
    expect([again.code, again.stderr]).toEqual([0, '']);
    expect(again.stdout).toContain('already holds orphans=order_items:3');
    expect(again.stdout).toContain('faults: orphans=order_items:3');
  });

  it('compares and checks against the sandbox with --sandbox, as run does', () => {
    const diff = cnbook(['diff', '--sandbox', '--source', 'us-east', '--target', 'target', '--table', 'customers']);
    expect([diff.code, diff.stderr]).toEqual([0, '']);
    const check = cnbook(['check', 'runbooks/triage.cnbook', '--sandbox', '--offline']);
    expect([check.code, check.stdout.trim()]).toEqual([0, 'runbooks/triage.cnbook: ok']);
    const both = cnbook([
      'diff',
      '--sandbox',
      '--connections',
      'x.json',
      '--source',
      'a',
      '--target',
      'b',
      '--table',
      't',
    ]);
    expect(both.stderr).toContain('--sandbox uses the sandbox connections; drop --connections');
  });
});
