import { parseDuration } from '../core/util/duration';
import { didYouMean } from '../core/util/suggest';
import { UsageError } from './usageError';

/** How a flag takes its value: `--flag V` or `--flag=V`, none, or only `--flag=V` (so `--flag FILE` stays a file). */
export type FlagKind = 'value' | 'switch' | 'inline-optional';

export interface ParsedFlags {
  /** Every value given to each flag, in order (a switch records ''). */
  readonly values: ReadonlyMap<string, string[]>;
  readonly positionals: string[];
}

/**
 * Splits a command's arguments into flags and positionals. Unknown flags and flags missing their value are
 * usage errors that suggest the nearest known flag.
 */
export function parseFlags(argv: readonly string[], spec: Readonly<Record<string, FlagKind>>): ParsedFlags {
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const [flag, inline] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const kind = spec[flag];
    if (!kind) throw new UsageError(`unknown option ${flag}${didYouMean(flag, Object.keys(spec))}`);
    let value = inline ?? '';
    if (kind === 'switch' && inline !== undefined) throw new UsageError(`${flag} takes no value`);
    if (kind === 'value' && inline === undefined) {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      value = next;
    }
    values.set(flag, [...(values.get(flag) ?? []), value]);
  }
  return { values, positionals };
}

/** The last value given to a flag (a later flag overrides an earlier one), or undefined. */
export function lastValue(flags: ParsedFlags, flag: string): string | undefined {
  return flags.values.get(flag)?.at(-1);
}

/** The last value of a flag read by `parse` (which names the flag in its error), or undefined. */
export function parsedValue<T>(
  flags: ParsedFlags,
  flag: string,
  parse: (flag: string, text: string) => T,
): T | undefined {
  const text = lastValue(flags, flag);
  return text === undefined ? undefined : parse(flag, text);
}

export function isSet(flags: ParsedFlags, flag: string): boolean {
  return flags.values.has(flag);
}

/** A comma-separated list, blanks dropped. */
export function listArg(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function durationArg(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new UsageError(`${flag} expects a duration like 500ms, 30s or 2m, got '${text}'`);
  return ms;
}

export function positiveCountArg(flag: string, text: string): number {
  const n = countArg(flag, text);
  if (n === 0) throw new UsageError(`${flag} expects a number above 0, got '${text}'`);
  return n;
}

export function countArg(flag: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n))
    throw new UsageError(`${flag} expects a whole number, got '${text}'`);
  return n;
}
