import { parseDuration } from '../core/util/duration';
import { didYouMean } from '../core/util/suggest';
import { UsageError } from './args';

export interface DiffArgs {
  connections?: string;
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
  /** Where to write the repair script; its undo goes next to it (.undo.sql). */
  repairSql?: string;
}

const FLAGS = [
  '--connections',
  '--source',
  '--target',
  '--table',
  '--key',
  '--columns',
  '--exclude',
  '--where',
  '--json',
  '--query-timeout',
  '--settle',
  '--limit',
];

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function parseDiffArgs(argv: string[]): DiffArgs {
  const found: Partial<DiffArgs> = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const [flag, inline] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--json') found.json = true;
    else if (flag === '--connections') found.connections = value();
    else if (flag === '--source') found.source = value();
    else if (flag === '--target') found.target = value();
    else if (flag === '--table') found.table = value();
    else if (flag === '--key') found.key = list(value());
    else if (flag === '--columns') found.columns = list(value());
    else if (flag === '--exclude') found.exclude = list(value());
    else if (flag === '--where') found.where = value();
    else if (flag === '--query-timeout') found.queryTimeoutMs = duration(flag, value());
    else if (flag === '--settle') found.settleMs = duration(flag, value());
    else if (flag === '--limit') found.limit = count(flag, value());
    else if (flag === '--repair-sql') found.repairSql = value();
    else
      throw new UsageError(`unknown ${flag.startsWith('-') ? 'option' : 'argument'} ${flag}${didYouMean(flag, FLAGS)}`);
  }
  for (const required of ['source', 'target', 'table'] as const)
    if (!found[required]) throw new UsageError(`diff needs --${required}`);
  return { queryTimeoutMs: 5000, settleMs: 5000, limit: 20, ...found } as DiffArgs;
}

function duration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new UsageError(`${flag} expects a duration like 500ms, 5s or 2m, got '${text}'`);
  return ms;
}

function count(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} expects a whole number, got '${text}'`);
  return n;
}
