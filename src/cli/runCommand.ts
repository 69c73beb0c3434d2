import * as path from 'node:path';
import { printNotebook } from '../core/format';
import { readRunbook } from './readRunbook';
import type { Notebook } from '../core/format/model';
import { resolveProfile } from '../core/connections/resolve';
import { redactSecrets } from '../core/connections/redact';
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
import { nodeEnvironment, writeFileAtomically } from '../drivers/nodeEnvironment';
import { sandboxProfile } from './sandboxConnections';
import { exitCodeOf, formatCellLine, formatSummary, RunSummary } from './summary';
import { DEFAULT_LIMITS } from '../core/defaults';
import { printOut, printErr, printJson } from './output';

export async function runCommand(argv: string[]): Promise<number> {
  const args = parseRunArgs(argv);
  const notebook = readRunbook(args.file);
  const info = runbookInfo(notebook);
  // Before the sandbox starts or any cell runs: a run that would stop at cell 7 for a value stops now.
  const params = settleParams(info, args.params);
  const paramProblems = runParamProblems(args.file, notebook, info, args.params);
  if (paramProblems.length > 0) throw new Error(`nothing ran:\n  ${paramProblems.join('\n  ')}`);
  const environment = nodeEnvironment();
  const { config, warnings, profile } = args.sandbox
    ? await sandboxProfile(args.sandbox, args.faults)
    : loadProfile(args, environment.homeDir);
  warnings.forEach((w) => printErr(`warning: ${w}`));
  const bindings = resolveProfile(config, profile, requiredRoles(info, Object.keys(config.connections)), environment);
  const startedAt = new Date().toISOString();
  const record = new RunRecord(notebook, profileHosts(bindings), environment.osUser, config.escalation);
  const context = { bindings, defaultRole: info.defaultRole, params };
  const cells = await executeCells(args, notebook, { ...context, osUser: environment.osUser }, environment, record);
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
  };
  // The summary first: a record that cannot be written must not take the findings with it.
  printSummary(args, summary, diagnosis);
  return writeOutput(args, notebook) ? exitCodeOf(summary) : 3;
}

function summaryOf(d: Diagnosis): RunSummary['diagnosis'] {
  const { diagnosedAt: _at, ...conclusion } = conclusionOf(d);
  return conclusion;
}

type RunContext = Pick<Parameters<typeof runRunbook>[1], 'bindings' | 'defaultRole' | 'params' | 'osUser'>;

/** Runs the cells with the run's limits; Ctrl-C cancels the running statement on the server. */
async function executeCells(
  args: RunArgs,
  notebook: Notebook,
  context: RunContext,
  environment: ReturnType<typeof nodeEnvironment>,
  record: RunRecord,
) {
  const pool = new SessionPool(NodePostgresClient.fromEnvironment(environment), {
    connectTimeoutMs: DEFAULT_LIMITS.connectTimeoutMs,
    applicationName: 'cnbook',
  });
  const controller = new AbortController();
  const stopOnSigint = interruptHandler(controller);
  try {
    return await runRunbook(notebook, {
      ...context,
      pool,
      signal: controller.signal,
      statementTimeoutMs: args.statementTimeoutMs,
      lockTimeoutMs: Math.min(DEFAULT_LIMITS.lockTimeoutMs, args.statementTimeoutMs),
      maxRowsStored: args.maxRows,
      maxValueBytes: args.maxValueBytes,
      writesPermitted: args.allowWrites,
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
  } finally {
    process.off('SIGINT', stopOnSigint);
    await pool.closeAll();
  }
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
  printOut(formatSummary(summary));
}

/** One finding a line: a line break in a value from a database is shown, not taken (controls: printOut). */
function oneLine(line: string): string {
  return line.replace(/\r\n|\r|\n/g, '↵ ');
}

/** Writes the record to --out; says why not (a missing folder, no permission) and returns false. */
function writeOutput(args: RunArgs, notebook: Notebook): boolean {
  if (!args.out) return true;
  try {
    writeFileAtomically(args.out, printNotebook(notebook));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `the folder ${path.dirname(args.out)} does not exist` : (code ?? String(error));
    printErr(`cnbook: cannot write the record to ${args.out}: ${why}; the run's summary is above`);
    return false;
  }
  const note = path.resolve(args.out) === path.resolve(args.file) ? ' (over the input, as --out asked)' : '';
  printErr(`wrote ${args.out}${note}`);
  return true;
}

/** First Ctrl-C cancels the running statement on the server and lets the run finish; a second one quits. */
function interruptHandler(controller: AbortController): () => void {
  const handler = () => {
    if (controller.signal.aborted) process.exit(130);
    printErr(redactSecrets('cancelling: sending a cancel request to the server (Ctrl-C again to quit at once)'));
    controller.abort();
  };
  process.on('SIGINT', handler);
  return handler;
}

function loadProfile(args: RunArgs, homeDir: string) {
  const loaded = loadConnections(args.connections, homeDir);
  return { ...loaded, profile: chooseProfile(loaded.config, args.profile) };
}
