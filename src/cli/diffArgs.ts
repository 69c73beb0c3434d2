import { DEFAULT_LIMITS } from '../core/defaults';
import {
  countArg,
  durationArg,
  positiveCountArg,
  isSet,
  lastValue,
  listArg,
  parsedValue,
  parseFlags,
  type FlagKind,
} from './flags';
import { UsageError } from './usageError';

export interface DiffArgs {
  connections?: string;
  /** The sandbox whose connections --source and --target name (us-east, target, ...). */
  sandbox?: string;
  source: string;
  target: string;
  table: string;
  key?: string[];
  columns?: string[];
  exclude?: string[];
  where?: string;
  json: boolean;
  queryTimeoutMs: number;
  settleMs: number;
  limit: number;
  /** Differing keys kept (the counts stay exact beyond it). */
  maxKeys: number;
  /** Where to write the repair script; its undo goes next to it (.undo.sql). */
  repairSql?: string;
}

const FLAGS: Record<string, FlagKind> = {
  '--connections': 'value',
  '--sandbox': 'inline-optional',
  '--source': 'value',
  '--target': 'value',
  '--table': 'value',
  '--key': 'value',
  '--columns': 'value',
  '--exclude': 'value',
  '--where': 'value',
  '--json': 'switch',
  '--query-timeout': 'value',
  '--settle': 'value',
  '--limit': 'value',
  '--max-keys': 'value',
  '--repair-sql': 'value',
};

export function parseDiffArgs(argv: string[]): DiffArgs {
  const flags = parseFlags(argv, FLAGS);
  const [extra] = flags.positionals;
  if (extra !== undefined) throw new UsageError(`diff takes no argument '${extra}' (the table is --table)`);
  const get = (flag: string) => lastValue(flags, flag);
  const required = (name: 'source' | 'target' | 'table') => {
    const value = get(`--${name}`);
    if (!value) throw new UsageError(`diff needs --${name}`);
    return value;
  };
  return {
    source: required('source'),
    target: required('target'),
    table: required('table'),
    connections: get('--connections'),
    ...sandboxArg(get('--sandbox')),
    key: parsedValue(flags, '--key', (_, v) => listArg(v)),
    columns: parsedValue(flags, '--columns', (_, v) => listArg(v)),
    exclude: parsedValue(flags, '--exclude', (_, v) => listArg(v)),
    where: get('--where'),
    repairSql: get('--repair-sql'),
    json: isSet(flags, '--json'),
    queryTimeoutMs: parsedValue(flags, '--query-timeout', durationArg) ?? DEFAULT_LIMITS.diffQueryTimeoutMs,
    settleMs: parsedValue(flags, '--settle', durationArg) ?? DEFAULT_LIMITS.diffSettleMs,
    limit: parsedValue(flags, '--limit', countArg) ?? 20,
    maxKeys: parsedValue(flags, '--max-keys', positiveCountArg) ?? DEFAULT_LIMITS.diffMaxKeys,
  };
}

/** `--sandbox` alone is the default sandbox, `--sandbox=NAME` a named one. */
export function sandboxArg(value: string | undefined): { sandbox?: string } {
  return value === undefined ? {} : { sandbox: value || 'default' };
}
