import { DEFAULT_LIMITS, durationSetting } from '../core/defaults';
import {
  countArg,
  durationArg,
  positiveCountArg,
  isSet,
  lastValue,
  parsedValue,
  parseFlags,
  type FlagKind,
} from './flags';
import { UsageError } from './usageError';

export { UsageError };

export interface RunArgs {
  file: string;
  connections?: string;
  profile?: string;
  params: Record<string, string>;
  statementTimeoutMs: number;
  allowWrites: boolean;
  /** --fail-fast: stop at the first failed cell, even one that failed only on a down server or a moved role. */
  failFast: boolean;
  out?: string;
  json: boolean;
  maxRows: number;
  maxValueBytes: number;
  /** --sandbox[=NAME]: run against the built-in sandbox profile (started if needed). */
  sandbox?: string;
  faults: string[];
  /** --wait[=DURATION]: how long to wait for another run's lock on --out (absent: do not wait). */
  lockWaitMs?: number;
}

/** How long --wait without a value waits for another run writing the same record. */
export const DEFAULT_LOCK_WAIT_MS = 60_000;

const RUN_FLAGS: Record<string, FlagKind> = {
  '--connections': 'value',
  '--profile': 'value',
  '--param': 'value',
  '--statement-timeout': 'value',
  '--allow-writes': 'switch',
  '--fail-fast': 'switch',
  '--out': 'value',
  '--json': 'switch',
  '--max-rows': 'value',
  '--max-value-bytes': 'value',
  '--sandbox': 'inline-optional',
  '--fault': 'value',
  '--wait': 'inline-optional',
};

export function parseRunArgs(argv: string[]): RunArgs {
  const flags = parseFlags(argv, RUN_FLAGS);
  const params: Record<string, string> = {};
  for (const text of flags.values.get('--param') ?? []) addParam(params, text);
  const sandbox = lastValue(flags, '--sandbox');
  const wait = lastValue(flags, '--wait');
  const args: RunArgs = {
    file: flags.positionals[0] ?? '',
    connections: lastValue(flags, '--connections'),
    profile: lastValue(flags, '--profile'),
    out: lastValue(flags, '--out'),
    params,
    statementTimeoutMs: parsedValue(flags, '--statement-timeout', durationArg) ?? DEFAULT_LIMITS.statementTimeoutMs,
    maxRows: parsedValue(flags, '--max-rows', countArg) ?? DEFAULT_LIMITS.maxRowsStored,
    maxValueBytes: parsedValue(flags, '--max-value-bytes', positiveCountArg) ?? DEFAULT_LIMITS.maxValueBytes,
    allowWrites: isSet(flags, '--allow-writes'),
    failFast: isSet(flags, '--fail-fast'),
    json: isSet(flags, '--json'),
    sandbox: sandbox === undefined ? undefined : sandbox || 'default',
    faults: flags.values.get('--fault') ?? [],
    ...(wait === undefined ? {} : { lockWaitMs: wait ? durationArg('--wait', wait) : DEFAULT_LOCK_WAIT_MS }),
  };
  checkRunArgs(args, flags.positionals);
  return args;
}

function checkRunArgs(args: RunArgs, files: string[]): void {
  if (args.faults.length > 0 && args.sandbox === undefined)
    throw new UsageError('--fault needs --sandbox: faults are injected only into the sandbox');
  if (args.sandbox !== undefined && (args.connections || args.profile))
    throw new UsageError('--sandbox uses the built-in sandbox profile; drop --connections/--profile');
  if (args.lockWaitMs !== undefined && !args.out)
    throw new UsageError('--wait waits for another run writing the --out record; without --out nothing is written');
  if (files.length !== 1)
    throw new UsageError(
      files.length === 0 ? 'run needs a runbook file' : `run takes one runbook file, got ${files.length}`,
    );
}

function addParam(params: Record<string, string>, text: string): void {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--param expects KEY=VALUE, got '${text}'`);
  params[text.slice(0, eq)] = text.slice(eq + 1);
}

export const USAGE = `Usage:
  cnbook run FILE [--connections FILE] [--profile NAME] [--param KEY=VALUE]...
                  [--statement-timeout ${durationSetting(DEFAULT_LIMITS.statementTimeoutMs)}] [--max-rows ${DEFAULT_LIMITS.maxRowsStored}]
                  [--max-value-bytes ${DEFAULT_LIMITS.maxValueBytes}] [--fail-fast]
                  [--allow-writes] [--out FILE [--wait[=60s]]] [--json] [--sandbox[=NAME] [--fault SPEC]...]
  cnbook sandbox start|stop|status|reset [--name NAME] [--replicas N] [--fault SPEC]...
  cnbook sandbox inject|clear --fault SPEC... [--name NAME]    cnbook sandbox --list-faults
  cnbook check FILE... [--connections FILE] [--profile NAME] [--sandbox[=NAME]] [--offline]
  cnbook incident new RUNBOOK [--title T] [--severity sev1|sev2|sev3|sev4] [--responder NAME]...
                  [--commander NAME] [--id ID] [--dir DIR]
  cnbook diff --source CONN --target CONN --table T [--key K1,K2] [--columns C1,C2] [--exclude C1,C2]
              [--where SQL] [--connections FILE | --sandbox[=NAME]] [--query-timeout 5s] [--settle 5s]
              [--limit 20] [--json] [--max-keys 100000]
              [--repair-sql FILE]   (writes FILE and FILE.undo.sql for review; applies nothing)
  cnbook export FILE [--format html|md|json] [--out FILE]   (default FILE.report.html beside it)

Exit codes: 0 nothing to act on (diff: equal), 1 warnings, 2 critical findings (diff: drift), 3 could not run.`;
