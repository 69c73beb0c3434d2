import * as os from 'node:os';
import { readRunbookText } from './readRunbook';
import type { Notebook } from '../core/format/model';
import type { ConnectionsConfig } from '../core/connections/model';
import type { ProbeJournal } from '../core/record/journal';
import { bindingWarnings } from '../core/connections/resolve';
import { bindProfile } from '../core/cluster/bindProfile';
import { notSeen, notSeenLine } from '../core/cluster/notSeen';
import { readHaViewFromPatroni } from '../drivers/patroniClient';
import { runRunbook } from '../core/run/runbook';
import { SEVERITY_ICON } from '../core/probes/render';
import { conclusionOf, type Diagnosis } from '../core/diagnosis';
import { profileHosts } from '../core/diagnosis/notebook';
import { RunRecord } from './runRecord';
import { requiredRoles, runbookInfo, settleParams } from '../core/run/runbookInfo';
import { runParamProblems } from '../core/run/params';
import { SessionPool } from '../core/sql/sessionPool';
import { NodePostgresClient } from '../drivers/pgClient';
import { parseRunArgs, RunArgs } from './args';
import { chooseProfile, loadConnections } from './loadConnections';
import { nodeEnvironment } from '../drivers/nodeEnvironment';
import { sandboxProfile, stopSandboxStartedForRun } from './sandboxConnections';
import { cancelOnStopSignals } from './stopSignals';
import { lockRecord, type LockHolder } from './recordLock';
import { RunJournals } from '../drivers/recordJournal';
import { writeOutput } from './recordOutput';
import { describeJournaledWrite } from '../core/record/journal';
import { foldJournal } from '../core/record/journalFold';
import { exitCodeOf, formatCellLine, formatSummary, RunSummary } from './summary';
import { DEFAULT_LIMITS } from '../core/defaults';
import { printOut, printErr, printJson } from './output';

export async function runCommand(argv: string[]): Promise<number> {
  const args = parseRunArgs(argv);
  // Before the record is read: a run waiting for another one reads what that one wrote, and adds to it.
  const lock = args.out ? await lockRecord(args.out, args.lockWaitMs) : undefined;
  if (lock?.tookOverFrom) printErr(`warning: ${tookOverNote(args.out ?? '', lock.tookOverFrom)}`);
  const stop = new AbortController();
  const stopListening = cancelOnStopSignals(stop);
  try {
    return await runWith(args, stop.signal);
  } finally {
    await stopSandboxStartedForRun();
    stopListening();
    lock?.release();
  }
}

function tookOverNote(record: string, dead: LockHolder): string {
  const holder = `pid ${dead.pid} on ${dead.host} (since ${dead.since})`;
  return `took over the lock of ${record} left by ${holder}, which is no longer running`;
}

/** The run itself; `signal` is a stop signal (Ctrl-C, SIGTERM, SIGHUP) asking it to cancel and finish. */
async function runWith(args: RunArgs, signal: AbortSignal): Promise<number> {
  const { notebook, text: readText } = readRunbookText(args.file);
  const environment = nodeEnvironment();
  const startedAt = new Date().toISOString();
  const journals = new RunJournals(args.file, args.out, `${os.hostname()}:${process.pid}:${startedAt}`);
  foldEarlierWrites(notebook, journals, environment.osUser);
  const info = runbookInfo(notebook);
  // Before the sandbox starts or any cell runs: a run that would stop at cell 7 for a value stops now.
  const params = settleParams(info, args.params);
  const paramProblems = runParamProblems(args.file, notebook, info, args.params);
  if (paramProblems.length > 0) throw new Error(`nothing ran:\n  ${paramProblems.join('\n  ')}`);
  const { config, warnings, profile } = args.sandbox
    ? await sandboxProfile(args.sandbox, args.faults)
    : loadProfile(args, environment.homeDir);
  warnings.forEach((w) => printErr(`warning: ${w}`));
  const {
    cells,
    record,
    notSeen: blind,
  } = await bindAndRun(args, notebook, {
    config,
    profile,
    info,
    params,
    environment,
    signal,
    journalOfCell: (cell: number) => journals.appender.journalOfCell(cell),
  });
  const finishedAt = new Date().toISOString();
  const { diagnosis, findings } = record.finish(finishedAt);
  const summary: RunSummary = {
    runbook: args.file,
    profile,
    startedAt,
    finishedAt,
    cells: cells.map(({ findings: _f, ...c }) => c),
    findings,
    diagnosis: summaryOf(diagnosis),
    ...(notSeenLine(blind) ? { notSeen: blind } : {}),
  };
  // The summary first: a record that cannot be written must not take the findings with it.
  printSummary(args, summary, diagnosis);
  const written = writeOutput(args, notebook, readText);
  journals.settle(written && args.out !== undefined);
  return written ? exitCodeOf(summary) : 3;
}

/** What earlier runs' journals say they committed goes into the record first, and is said. */
function foldEarlierWrites(notebook: Notebook, journals: RunJournals, who: string): void {
  for (const journal of journals.earlier) {
    const cut = journal.unreadable > 0 ? ` (${journal.unreadable} line(s) cut short were skipped)` : '';
    printErr(`journal ${journal.file}${cut}:`);
    for (const write of journal.writes) printErr(`  cell ${write.cell + 1}: ${describeJournaledWrite(write)}`);
  }
  foldJournal(notebook, journals.earlierWrites, who);
}

function summaryOf(d: Diagnosis): RunSummary['diagnosis'] {
  const { diagnosedAt: _at, ...conclusion } = conclusionOf(d);
  return conclusion;
}

interface RunSetting {
  config: ConnectionsConfig;
  profile: string;
  info: ReturnType<typeof runbookInfo>;
  params: ReturnType<typeof settleParams>;
  environment: ReturnType<typeof nodeEnvironment>;
  signal: AbortSignal;
  journalOfCell(cell: number): ProbeJournal;
}

/**
 * Binds the profile's roles to what the servers say (core bindProfile, as VS Code does), then runs the cells
 * on the same sessions.
 */
async function bindAndRun(args: RunArgs, notebook: Notebook, setting: RunSetting) {
  const { config, profile, info, environment, signal } = setting;
  const pool = new SessionPool(NodePostgresClient.fromEnvironment(environment), {
    connectTimeoutMs: DEFAULT_LIMITS.connectTimeoutMs,
    applicationName: 'cnbook',
  });
  try {
    const roles = requiredRoles(info, Object.keys(config.connections));
    const statementTimeoutMs = args.statementTimeoutMs;
    const readHaView = readHaViewFromPatroni({ signal });
    const binding = { config, profile, roles, environment, pool, statementTimeoutMs, signal, readHaView };
    const cluster = await bindProfile(binding);
    const { bindings } = cluster;
    [...cluster.warnings, ...bindingWarnings(bindings)].forEach((w) => printErr(`warning: ${w}`));
    const record = new RunRecord(notebook, profileHosts(bindings), environment.osUser, config.escalation);
    const run = {
      bindings,
      defaultRole: info.defaultRole,
      params: setting.params,
      osUser: environment.osUser,
      signal,
      journalOfCell: setting.journalOfCell,
      clusterFindings: cluster.findings,
    };
    const cells = await executeCells(args, notebook, run, pool, record);
    return { cells, record, notSeen: notSeen(cells, cluster) };
  } finally {
    await pool.closeAll();
  }
}

type RunContext = Pick<
  Parameters<typeof runRunbook>[1],
  'bindings' | 'defaultRole' | 'params' | 'osUser' | 'signal' | 'journalOfCell' | 'clusterFindings'
>;

/** Runs the cells with the run's limits; a stop signal cancels the running statement on the server. */
async function executeCells(
  args: RunArgs,
  notebook: Notebook,
  context: RunContext,
  pool: SessionPool,
  record: RunRecord,
) {
  return runRunbook(notebook, {
    ...context,
    pool,
    statementTimeoutMs: args.statementTimeoutMs,
    lockTimeoutMs: Math.min(DEFAULT_LIMITS.lockTimeoutMs, args.statementTimeoutMs),
    maxRowsStored: args.maxRows,
    maxValueBytes: args.maxValueBytes,
    writesPermitted: args.allowWrites,
    failFast: args.failFast,
    // --allow-writes is the answer; the question (host and row counts) is still said, for the terminal's log.
    confirmWrite: (question) => {
      printErr(`${question} (--allow-writes)`);
      return Promise.resolve(true);
    },
    onCellEnd: (report) => {
      record.cellEnded(report);
      if (!args.json || process.stderr.isTTY) printErr(formatCellLine(report));
    },
  });
}

function printSummary(args: RunArgs, summary: RunSummary, diagnosis: Diagnosis): void {
  if (args.json) {
    printJson(summary);
    return;
  }
  for (const f of summary.findings)
    printOut(oneLine(`- ${SEVERITY_ICON[f.severity]} ${f.probe} ${f.target}: ${f.summary}`));
  const next = diagnosis.next
    ? `\nnext: ${diagnosis.next.suggestion}${diagnosis.next.cell === null ? '' : ` (cell ${diagnosis.next.cell + 1})`}`
    : '';
  printOut(`diagnosis: ${diagnosis.consistencyType}${diagnosis.rootCause ? ` — ${diagnosis.rootCause}` : ''}${next}`);
  for (const problem of diagnosis.problems.slice(1)) {
    const cell = problem.next.cell === null ? '' : ` (cell ${problem.next.cell + 1})`;
    printOut(`also: ${problem.type} — ${problem.rootCause}\n  next: ${problem.next.suggestion}${cell}`);
  }
  const blind = summary.notSeen ? notSeenLine(summary.notSeen) : '';
  if (blind) printOut(oneLine(blind));
  printOut(formatSummary(summary));
}

/** One finding a line: a line break in a value from a database is shown, not taken (controls: printOut). */
function oneLine(line: string): string {
  return line.replace(/\r\n|\r|\n/g, '↵ ');
}

function loadProfile(args: RunArgs, homeDir: string) {
  const loaded = loadConnections(args.connections, homeDir);
  return { ...loaded, profile: chooseProfile(loaded.config, args.profile) };
}
