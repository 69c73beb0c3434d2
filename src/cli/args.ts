import { parseDuration } from '../core/util/duration';
import { didYouMean } from '../core/util/suggest';
import { DEFAULT_LIMITS, durationSetting } from '../core/defaults';

export class UsageError extends Error {}

export interface RunArgs {
  file: string;
  connections?: string;
  profile?: string;
  params: Record<string, string>;
  statementTimeoutMs: number;
  allowWrites: boolean;
  out?: string;
  json: boolean;
  maxRows: number;
  /** --sandbox[=NAME]: run against the built-in sandbox profile (started if needed). */
  sandbox?: string;
  faults: string[];
}

const RUN_FLAGS = [
  '--connections',
  '--profile',
  '--param',
  '--statement-timeout',
  '--allow-writes',
  '--out',
  '--json',
  '--max-rows',
  '--sandbox',
  '--fault',
];

export function parseRunArgs(argv: string[]): RunArgs {
  const args: RunArgs = {
    file: '',
    params: {},
    statementTimeoutMs: DEFAULT_LIMITS.statementTimeoutMs,
    allowWrites: false,
    json: false,
    maxRows: DEFAULT_LIMITS.maxRowsStored,
    faults: [],
  };
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (!applyRunFlag(args, flag, value, inline)) {
      if (flag.startsWith('-')) throw new UsageError(`unknown option ${flag}${didYouMean(flag, RUN_FLAGS)}`);
      files.push(arg);
    }
  }
  checkRunArgs(args, files);
  args.file = files[0] ?? '';
  return args;
}

/** Sets what one flag of `cnbook run` says; false for a flag it does not know (or a file name). */
function applyRunFlag(args: RunArgs, flag: string, value: () => string, inline: string | undefined): boolean {
  switch (flag) {
    case '--connections':
      args.connections = value();
      return true;
    case '--profile':
      args.profile = value();
      return true;
    case '--out':
      args.out = value();
      return true;
    case '--json':
      args.json = true;
      return true;
    case '--allow-writes':
      args.allowWrites = true;
      return true;
    case '--param':
      addParam(args.params, value());
      return true;
    case '--statement-timeout':
      args.statementTimeoutMs = durationArg(flag, value());
      return true;
    case '--max-rows':
      args.maxRows = countArg(flag, value());
      return true;
    case '--sandbox':
      args.sandbox = inline ?? 'default';
      return true;
    case '--fault':
      args.faults.push(value());
      return true;
    default:
      return false;
  }
}

function checkRunArgs(args: RunArgs, files: string[]): void {
  if (args.faults.length > 0 && args.sandbox === undefined)
    throw new UsageError('--fault needs --sandbox: faults are injected only into the sandbox');
  if (args.sandbox !== undefined && (args.connections || args.profile))
    throw new UsageError('--sandbox uses the built-in sandbox profile; drop --connections/--profile');
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

function durationArg(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new UsageError(`${flag} expects a duration like 500ms, 30s or 2m, got '${text}'`);
  return ms;
}

function countArg(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} expects a whole number, got '${text}'`);
  return n;
}

export const USAGE = `Usage:
  cnbook run FILE [--connections FILE] [--profile NAME] [--param KEY=VALUE]...
                  [--statement-timeout ${durationSetting(DEFAULT_LIMITS.statementTimeoutMs)}] [--max-rows ${DEFAULT_LIMITS.maxRowsStored}]
                  [--allow-writes] [--out FILE] [--json] [--sandbox[=NAME] [--fault SPEC]...]
  cnbook sandbox start|stop|status|reset [--name NAME] [--replicas N] [--fault SPEC]...
  cnbook sandbox inject|clear --fault SPEC... [--name NAME]    cnbook sandbox --list-faults
  cnbook check FILE... [--connections FILE] [--profile NAME]
  cnbook incident new RUNBOOK [--title T] [--severity sev1|sev2|sev3|sev4] [--responder NAME]... [--id ID]
                  [--dir DIR]
  cnbook diff --source CONN --target CONN --table T [--key K1,K2] [--columns C1,C2] [--exclude C1,C2]
              [--where SQL] [--connections FILE] [--query-timeout 5s] [--settle 5s] [--limit 20] [--json]
              [--repair-sql FILE]   (writes FILE and FILE.undo.sql for review; applies nothing)
  cnbook export FILE [--format html|md] [--out FILE]   (default FILE.report.html beside it)

Exit codes: 0 all ok (diff: equal), 1 warnings, 2 critical findings (diff: drift), 3 could not run.`;
