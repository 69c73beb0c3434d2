/**
 * Every shipped runbook, on one sandbox started for this file: it passes `cnbook check`, runs end to end
 * through the built CLI (`cnbook run --sandbox --json`) with every finding green on the healthy sandbox,
 * and names the right problem (typed: type and cause node) for each fault its flow covers, injected in the
 * real servers; then pairs of faults, both named. Faults are cleared between cases, so the sandbox starts
 * once. Run times and the detection table are printed at the end (and kept in runbooks/README.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiagnosedProblem } from '../../src/core/diagnosis/model';
import { parseNotebook } from '../../src/core/format';
import { checkRunbook } from '../../src/core/run/checkRunbook';
import { runbookInfo } from '../../src/core/run/runbookInfo';
import { FAULTS, parseFault } from '../../src/core/sandbox/faults';
import { fakeTimeLibrary } from '../../src/sandbox/binaries';
import { clearFault, injectFault } from '../../src/sandbox/faults';
import { buildCli, REPO_ROOT as root, runCli, runCliJson, type RunSummary } from '../helpers/builtCli';
import { useTempSandbox } from '../helpers/sandboxHome';

// Started in this process, not by `cnbook sandbox start`: the tests inject faults through it.
const { sandbox, home } = useTempSandbox('cnbook-runbooks-test-', 'default', { replicas: 2 });
const RUNBOOKS = fs
  .readdirSync(path.join(root, 'runbooks'))
  .filter((f) => f.endsWith('.cnbook'))
  .map((f) => f.replace(/\.cnbook$/, ''))
  .sort();

type Expected = Pick<DiagnosedProblem, 'type' | 'causeNode'>;

/** The problem each fault must be named as (what the guide's flowcharts call its cause). */
const NAMED: Record<string, Expected> = {
  'pause=us-west': { type: 'eventual', causeNode: 'Config' },
  'lag=us-west:60000ms': { type: 'eventual', causeNode: 'Config' },
  'drift=orders:0.05': { type: 'eventual', causeNode: 'Capacity' },
  'orphans=order_items:3': { type: 'strong', causeNode: 'Integrity' },
  'totals=4': { type: 'strong', causeNode: 'Integrity' },
  'prepared=2': { type: 'strong', causeNode: 'Timeout' },
  locks: { type: 'strong', causeNode: 'Deadlock' },
  'splitbrain=eu-west': { type: 'strong', causeNode: 'Partition' },
  'causal=3': { type: 'causal', causeNode: 'OrderCause' },
  'stale-session=us-west': { type: 'session', causeNode: 'RoundRobin' },
  'skew=target:+3000ms': { type: 'causal', causeNode: 'ClockCause' },
};

/** The faults triage (the whole flow) and monitoring (the checks scheduled after) both cover. */
const EVERY_FAULT = [
  'pause=us-west',
  'lag=us-west:60000ms',
  'drift=orders:0.05',
  'orphans=order_items:3',
  'totals=4',
  'prepared=2',
  'locks',
  'splitbrain=eu-west',
  'causal=3',
  'skew=target:+3000ms',
];

/** Which faults each runbook's flow covers. */
const COVERS: Record<string, string[]> = {
  triage: EVERY_FAULT,
  'eventual-consistency': ['pause=us-west', 'lag=us-west:60000ms', 'drift=orders:0.05'],
  'strong-consistency': ['orphans=order_items:3', 'totals=4', 'prepared=2', 'locks', 'splitbrain=eu-west'],
  'session-consistency': ['stale-session=us-west', 'pause=us-west'],
  'causal-consistency': ['causal=3', 'skew=target:+3000ms'],
  reconciliation: ['drift=orders:0.05', 'orphans=order_items:3', 'totals=4'],
  'split-brain': ['splitbrain=eu-west'],
  'clock-skew': ['skew=target:+3000ms', 'causal=3'],
  monitoring: EVERY_FAULT,
  'orders-vs-items': [
    'pause=us-west',
    'lag=us-west:60000ms',
    'orphans=order_items:3',
    'totals=4',
    'splitbrain=eu-west',
  ],
};

/** Two faults at once, and the runbook that must name both. */
const PAIRS: [string, string, string][] = [
  ['pause=us-west', 'totals=4', 'triage'],
  ['splitbrain=eu-west', 'orphans=order_items:3', 'triage'],
  ['lag=us-west:60000ms', 'causal=3', 'triage'],
  ['drift=orders:0.05', 'prepared=2', 'triage'],
  ['locks', 'skew=target:+3000ms', 'triage'],
  ['pause=us-west', 'orphans=order_items:3', 'monitoring'],
  ['stale-session=us-west', 'pause=eu-west', 'session-consistency'],
];
NAMED['pause=eu-west'] = { type: 'eventual', causeNode: 'Config' };

const fakeTime = fakeTimeLibrary() !== undefined;
const available = (spec: string) => fakeTime || !spec.startsWith('skew=');

const runTimes: Record<string, number> = {};
const detection: string[] = [];

beforeAll(async () => {
  buildCli();
  await settle();
}, 120_000);

/**
 * A cluster a few seconds old is not yet in its steady state: autovacuum has the freshly loaded tables to
 * do (its WAL reaches the replicas while the runbooks run) and no replica has replayed a commit since it
 * started (pg_last_xact_replay_timestamp is NULL). Vacuum now, commit once, and wait for every replica.
 */
async function settle(): Promise<void> {
  const primary = sandbox.nodes().find((n) => n.name === 'us-east');
  if (!primary) throw new Error('the sandbox has no primary');
  await primary.query('VACUUM (ANALYZE)');
  await primary.query('UPDATE orders SET status = status WHERE id = 1');
  const [{ lsn }] = await primary.query('SELECT pg_current_wal_flush_lsn()::text AS lsn');
  for (const replica of sandbox
    .nodes()
    .filter((n) => sandbox.status().nodes.some((s) => s.name === n.name && s.role === 'replica'))) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [row] = await replica.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [lsn]);
      if (row?.done) break;
      if (Date.now() > deadline) throw new Error(`${replica.name} did not replay the settling commit`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
afterAll(async () => {
  await sandbox.stop().catch(() => undefined);
  console.log(`runbook run times on the healthy sandbox (ms): ${JSON.stringify(runTimes)}`);
  console.log(`detection (fault(s) → runbook: problems named [runs, ms from injection]):\n${detection.join('\n')}`);
});

/** `cnbook run runbooks/NAME.cnbook --sandbox --allow-writes --json` on this file's sandbox. */
function run(name: string): Promise<RunSummary> {
  const args = ['run', path.join('runbooks', `${name}.cnbook`), '--sandbox', '--allow-writes', '--json'];
  return runCliJson(args, { CNBOOK_SANDBOX_HOME: home });
}

const named = (problems: DiagnosedProblem[]) => problems.map((p) => `${p.type}/${p.causeNode}`);
const has = (problems: DiagnosedProblem[], want: Expected) =>
  problems.some((p) => p.type === want.type && p.causeNode === want.causeNode);

/**
 * Runs the runbook until the diagnosis names every expected problem: some faults show only once time
 * passes (a blocked session is a warning after blocked-warn=, WAL waits behind a delayed apply).
 */
async function runUntilNamed(name: string, wanted: Expected[]): Promise<RunSummary & { runs: number }> {
  const deadline = Date.now() + 30_000;
  for (let runs = 1; ; runs++) {
    const result = await run(name);
    expect(
      result.cells.every((c) => c.status === 'ok'),
      result.stderr,
    ).toBe(true);
    if (wanted.every((w) => has(result.problems, w))) return { ...result, runs };
    if (Date.now() > deadline)
      throw new Error(
        `${name}: wanted ${wanted.map((w) => `${w.type}/${w.causeNode}`).join(' + ')}, ` +
          `named ${named(result.problems).join(', ') || 'nothing'} after ${runs} runs; findings:\n` +
          result.findings
            .filter((f) => f.severity !== 'ok')
            .map((f) => `  ${f.severity} ${f.probe} ${f.target}: ${f.summary}`)
            .join('\n'),
      );
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const fault = (spec: string) => parseFault(spec, sandbox.faultContext());

async function withFaults(specs: string[], body: (injectedAt: number) => Promise<void>): Promise<void> {
  const injected: string[] = [];
  const at = Date.now();
  try {
    for (const spec of specs) {
      await injectFault(sandbox, fault(spec));
      injected.push(spec);
    }
    await body(at);
  } finally {
    for (const spec of injected.reverse()) await clearFault(sandbox, fault(spec));
  }
}

describe('the shipped runbooks', () => {
  it('are all covered here, and every sandbox fault is covered by at least one of them', () => {
    expect(Object.keys(COVERS).sort()).toEqual(RUNBOOKS);
    const covered = new Set(
      Object.values(COVERS)
        .flat()
        .map((spec) => spec.split('=')[0]),
    );
    // The transitions are the cluster's state, not a consistency fault: the diagnosis of each on the
    // built-in profiles is asserted in sandboxTransitions.test.ts.
    const transitions = ['failover', 'switchover', 'down', 'proxy'];
    expect(FAULTS.map((f) => f.kind).filter((k) => !covered.has(k) && !transitions.includes(k))).toEqual([]);
  });

  it.each(RUNBOOKS)('%s passes the check, declares its parameters with defaults and its roles', (name) => {
    const notebook = parseNotebook(fs.readFileSync(path.join(root, 'runbooks', `${name}.cnbook`), 'utf8'));
    expect(checkRunbook(notebook)).toEqual([]);
    expect(notebook.frontMatter.cnbook).toBe(2);
    const info = runbookInfo(notebook);
    expect(info.declaredRoles?.length).toBeGreaterThan(0);
    expect(Object.values(info.params).every((v) => v !== null)).toBe(true);
    const used = notebook.cells.flatMap((c) =>
      c.kind === 'code' && c.language === 'sql'
        ? [...c.source.matchAll(/(?<!:):([a-z_]+)/g)].map((m) => m[1] ?? '')
        : [],
    );
    expect(used.filter((p) => !(p in info.params))).toEqual([]);
  });

  it('pass cnbook check through the CLI, all at once', () => {
    const files = RUNBOOKS.map((n) => path.join('runbooks', `${n}.cnbook`));
    const result = runCli(['check', ...files]);
    expect([result.code, result.stderr]).toEqual([0, '']);
  });
});

describe('on the healthy sandbox', () => {
  it.each(RUNBOOKS)('%s runs every cell with every finding green', async (name) => {
    const result = await run(name);
    expect(
      result.cells.every((c) => c.status === 'ok'),
      result.stderr,
    ).toBe(true);
    const notGreen = result.findings.filter((f) => f.severity !== 'ok');
    expect(notGreen.map((f) => `${f.severity} ${f.probe} ${f.target}: ${f.summary}`)).toEqual([]);
    expect(result.findings.length).toBeGreaterThan(0);
    expect([result.code, result.problems]).toEqual([0, []]);
    runTimes[name] = result.ms;
  });
});

describe('each fault, named by every runbook that covers it', () => {
  const specs = Object.keys(NAMED).filter((spec) => Object.values(COVERS).some((c) => c.includes(spec)));
  it.each(specs)(
    '%s',
    async (spec) => {
      if (!available(spec)) {
        detection.push(`${spec}: not run (libfaketime is not installed)`);
        return;
      }
      const wanted = NAMED[spec] as Expected;
      const runbooks = RUNBOOKS.filter((name) => COVERS[name]?.includes(spec));
      await withFaults([spec], async (at) => {
        for (const name of runbooks) {
          const result = await runUntilNamed(name, [wanted]);
          detection.push(
            `${spec} → ${name}: ${named(result.problems).join(', ')} [${result.runs}, ${Date.now() - at}]`,
          );
        }
      });
    },
    300_000,
  );
});

describe('two faults at once: both named', () => {
  it.each(PAIRS)(
    '%s + %s → %s',
    async (a, b, name) => {
      if (!available(a) || !available(b)) {
        detection.push(`${a} + ${b}: not run (libfaketime is not installed)`);
        return;
      }
      await withFaults([a, b], async (at) => {
        const result = await runUntilNamed(name, [NAMED[a] as Expected, NAMED[b] as Expected]);
        detection.push(
          `${a} + ${b} → ${name}: ${named(result.problems).join(', ')} [${result.runs}, ${Date.now() - at}]`,
        );
      });
    },
    120_000,
  );

  it('leaves the sandbox healthy once every fault is cleared', async () => {
    for (const name of ['triage', 'monitoring']) {
      const result = await run(name);
      expect(
        result.findings.filter((f) => f.severity !== 'ok').map((f) => `${f.probe} ${f.target}: ${f.summary}`),
      ).toEqual([]);
    }
  });
});
