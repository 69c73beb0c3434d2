/**
 * Every shipped runbook on the real-cluster rig, not the sandbox: a plain startCluster primary with two
 * streaming replicas (no slots, no marker tables, startCluster's defaults but wal_level=logical) and a
 * logical copy subscribed to a publication of the runbooks' tables, reached through a connections file
 * whose names are none of the sandbox's, as an on-call role that is no superuser (pg_monitor and
 * pg_read_all_data; CREATE on the primary's public schema for session-consistency's marker table) with
 * its password in a pgpass file. Each runbook passes `cnbook check` against that profile and runs
 * end to end through the built CLI with every finding green; then faults made by hand with plain SQL
 * (no sandbox fault code) must be named, typed, by every runbook whose flow covers them. What a runbook
 * needs that only the sandbox happened to provide shows up here.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiagnosedProblem } from '../../src/core/diagnosis/model';
import { makeLogicalCopy } from '../../src/sandbox/logicalCopy';
import { SAMPLE_ROWS, SAMPLE_TABLES, SAMPLE_TABLES_DDL } from '../../src/sandbox/sampleData';
import { buildCli, REPO_ROOT as root, runCli, runCliJson, type RunSummary } from '../helpers/builtCli';
import { PgCluster, PgServer, startCluster, startStandalone, waitForReplay } from '../helpers/pgCluster';
import { RIG_FAULTS, RIG_NAMES, RigFault } from '../helpers/rigFaults';

const RUNBOOKS = fs
  .readdirSync(path.join(root, 'runbooks'))
  .filter((f) => f.endsWith('.cnbook'))
  .map((f) => f.replace(/\.cnbook$/, ''))
  .sort();
/** runbooks/README.md: the runbooks that write (marker rows) and so run with --allow-writes. */
const WRITES = new Set(['session-consistency']);
const PROFILE = 'rig';
/** startCluster's password role `app`; on the rig, it is the role every connection logs in as. */
const PASSWORD = 'rig-oncall-secret-7f3a';

let cluster: PgCluster;
let copy: PgServer;
let work: string;
let connectionsFile: string;
let passFile = '';
const runTimes: Record<string, number> = {};
const detection: string[] = [];
const records: string[] = [];

beforeAll(async () => {
  buildCli();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-rig-'));
  [cluster, copy] = await Promise.all([
    startCluster({ replicas: 2, primaryConfig: { wal_level: 'logical' }, password: PASSWORD }),
    startStandalone({ password: PASSWORD }),
  ]);
  await cluster.primary.query(
    `${SAMPLE_TABLES_DDL}${SAMPLE_ROWS}${ON_CALL_GRANTS}; GRANT CREATE ON SCHEMA public TO app`,
  );
  await makeLogicalCopy(copy, cluster.primary, { schema: SAMPLE_TABLES_DDL, tables: SAMPLE_TABLES, name: 'reporting' });
  await copy.query(ON_CALL_GRANTS);
  await waitForReplay(cluster);
  connectionsFile = path.join(work, 'connections.json');
  fs.writeFileSync(connectionsFile, JSON.stringify(rigConnections(), null, 2));
  passFile = path.join(work, 'pgpass');
  const lines = [...cluster.nodes, copy].map((n) => `127.0.0.1:${n.port}:postgres:app:${PASSWORD}\n`);
  fs.writeFileSync(passFile, lines.join(''), { mode: 0o600 });
}, 120_000);

/** What an on-call role usually gets: the monitoring views and functions, and reading every table. */
const ON_CALL_GRANTS = 'GRANT pg_monitor, pg_read_all_data TO app';

afterAll(async () => {
  await copy?.destroy();
  await cluster?.destroy();
  if (work) fs.rmSync(work, { recursive: true, force: true });
  console.log(`runbook run times on the healthy rig (ms): ${JSON.stringify(runTimes)}`);
  console.log(`detection on the rig (fault → runbook: problems named [ms of the run]):\n${detection.join('\n')}`);
});

/** The rig's nodes under RIG_NAMES; only the primary allows writes (session-consistency's markers). */
function rigConnections() {
  const spec = (port: number, label: string, allowWrites = false) => ({
    host: '127.0.0.1',
    port,
    database: 'postgres',
    user: 'app',
    sslmode: 'disable',
    label,
    ...(allowWrites ? { allowWrites } : {}),
  });
  const [standby1, standby2] = cluster.replicas;
  if (!standby1 || !standby2) throw new Error('the rig needs two replicas');
  const { primary, replicas, target } = RIG_NAMES;
  return {
    connections: {
      [primary]: spec(cluster.primary.port, 'rig primary', true),
      [replicas[0]]: spec(standby1.port, 'rig streaming replica'),
      [replicas[1]]: spec(standby2.port, 'rig streaming replica'),
      [target]: spec(copy.port, 'rig logical copy'),
    },
    profiles: { [PROFILE]: { primary, replicas: [...replicas], target } },
  };
}

type Run = RunSummary & { out: string };

/** `cnbook run runbooks/NAME.cnbook --connections FILE --profile rig --json --out FILE`. */
async function run(name: string, label: string): Promise<Run> {
  const out = path.join(work, `${name}.${label}.cnbook`);
  const file = path.join('runbooks', `${name}.cnbook`);
  const args = ['run', file, '--connections', connectionsFile, '--profile', PROFILE, '--json', '--out', out];
  if (WRITES.has(name)) args.push('--allow-writes');
  return { ...(await runCliJson(args, rigEnvironment())), out };
}

/** The password comes from the pgpass file only, as it would on an on-call engineer's machine. */
const rigEnvironment = (): NodeJS.ProcessEnv => ({ PGPASSWORD: '', PGPASSFILE: passFile });

const check = (files: string[]) =>
  runCli(['check', ...files, '--connections', connectionsFile, '--profile', PROFILE], { env: rigEnvironment() });

const notGreen = (run: Run) =>
  run.findings.filter((f) => f.severity !== 'ok').map((f) => `${f.severity} ${f.probe} ${f.target}: ${f.summary}`);
const named = (problems: DiagnosedProblem[]) => problems.map((p) => `${p.type}/${p.causeNode}`);

/** The connections the problem's evidence is about: the one it describes, or the copies that depart. */
const evidenceConnections = (problem: DiagnosedProblem) =>
  problem.evidence.flatMap((f) => [...(f.connection ? [f.connection] : []), ...(f.deviating ?? [])]);

describe('the shipped runbooks on the real-cluster rig', () => {
  it('pass cnbook check against the rig profile, every role bound', () => {
    const result = check(RUNBOOKS.map((n) => path.join('runbooks', `${n}.cnbook`)));
    expect([result.code, result.stderr]).toEqual([0, '']);
  });

  it.each(RUNBOOKS)('%s runs every cell with every finding green, its record holding no password', async (name) => {
    const result = await run(name, 'healthy');
    expect(
      result.cells.every((c) => c.status === 'ok'),
      result.stderr,
    ).toBe(true);
    expect(notGreen(result)).toEqual([]);
    expect(result.findings.length).toBeGreaterThan(0);
    expect([result.code, named(result.problems)]).toEqual([0, []]);
    expect(fs.readFileSync(result.out, 'utf8') + result.stdout + result.stderr).not.toContain(PASSWORD);
    runTimes[name] = result.ms;
    records.push(result.out);
  });

  it('leave records that pass cnbook check, all at once', () => {
    expect(records).toHaveLength(RUNBOOKS.length);
    const result = check(records);
    expect([result.code, result.stderr]).toEqual([0, '']);
  });
});

describe('faults made by hand on the rig, named by every runbook that covers them', () => {
  it.each(RIG_FAULTS.map((f) => [f.name, f] as const))(
    '%s',
    async (_name, fault: RigFault) => {
      const rig = { cluster, copy };
      await fault.inject(rig);
      try {
        for (const name of fault.runbooks) {
          const result = await run(name, fault.name);
          expect(
            result.cells.every((c) => c.status === 'ok'),
            result.stderr,
          ).toBe(true);
          detection.push(`${fault.name} → ${name}: ${named(result.problems).join(', ')} [${result.ms}]`);
          const [first] = result.problems;
          expect([name, first?.type, first?.causeNode]).toEqual([name, fault.named.type, fault.named.causeNode]);
          expect(first && evidenceConnections(first)).toContain(fault.on);
          expect(result.code).toBeGreaterThan(0);
        }
      } finally {
        await fault.clear(rig);
      }
    },
    120_000,
  );

  it('leaves the rig healthy once every fault is cleared', async () => {
    for (const name of ['triage', 'monitoring']) {
      const result = await run(name, 'after');
      expect([name, notGreen(result)]).toEqual([name, []]);
    }
  });
});
