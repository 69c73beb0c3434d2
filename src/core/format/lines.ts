import { CELL_LANGUAGES, FormatVersion } from './model';

/*
 * The line grammar shared by the reader and the printer, so both agree on what every line means.
 * Patterns use [^] rather than `.`: `.` stops at \r, U+2028 and U+2029, which may sit inside a line.
 */

/** `<!-- cnbook:markdown [lines=N] [{metadata}] -->` starts a Markdown cell (line-counted with lines=N). */
export const MARKDOWN_OPEN = /^<!-- cnbook:markdown(?: lines=(\d+))?(?: (\{[^]*\}))? -->$/;
/** Version 2: `<!-- cnbook:markdown [lines=N]` alone opens a marker whose metadata JSON runs over lines up to `-->`. */
export const MARKDOWN_OPEN_LINES = /^<!-- cnbook:markdown(?: lines=(\d+))?( shapes)?$/;
export const OUTPUTS_OPEN_PREFIX = '<!-- cnbook:outputs ';
export const OUTPUTS_OPEN_SUFFIX = ' -->';
export const OUTPUTS_CLOSE = '<!-- /cnbook:outputs -->';
/** Version 2: each output's own comment, on one line or over several up to a line ending in `-->`. */
export const OUTPUT_OPEN = '<!-- cnbook:output';
export const COMMENT_END = '-->';
export const FRONT_MATTER_FENCE = '---';

/** Characters an editor may take for a line break or strip (CR, NEL, U+2028, U+2029, BOM): never written bare. */
export const EDITOR_UNSAFE = /[\r\u0085\u2028\u2029\uFEFF]/;

export function isBlank(line: string): boolean {
  return /^[ \t]*$/.test(line);
}

export interface Fence {
  char: '`' | '~';
  length: number;
  info: string;
  indent: number;
}

/** A CommonMark fence opener (up to three spaces of indent; a backtick fence's info has no backtick). */
export function fenceOpener(line: string): Fence | undefined {
  const match = /^( {0,3})(`{3,}|~{3,})([^]*)$/.exec(line);
  if (!match) return undefined;
  const [, indent = '', run = '', info = ''] = match;
  const char = run[0] as '`' | '~';
  if (char === '`' && info.includes('`')) return undefined;
  return { char, length: run.length, info, indent: indent.length };
}

export function closesFence(line: string, fence: Pick<Fence, 'char' | 'length'>): boolean {
  const match = /^ {0,3}(`+|~+)[ \t]*$/.exec(line);
  return !!match?.[1] && match[1][0] === fence.char && match[1].length >= fence.length;
}

/** The longest line of `char` alone that could close a fence of that character: the fence must be longer. */
export function longestLeadingRun(lines: readonly string[], char: '`' | '~'): number {
  const pattern = char === '`' ? /^ {0,3}(`+)[ \t]*$/ : /^ {0,3}(~+)[ \t]*$/;
  let longest = 0;
  for (const line of lines) longest = Math.max(longest, pattern.exec(line)?.[1]?.length ?? 0);
  return longest;
}

export interface CellInfo {
  language: string;
  /** The text after the language: a JSON object, or empty. */
  json: string;
}

/** Splits an info string into language and metadata JSON text. */
export function splitInfo(info: string): CellInfo {
  const trimmed = info.trim();
  const space = trimmed.search(/\s|\{/);
  if (space === -1) return { language: trimmed, json: '' };
  return { language: trimmed.slice(0, space), json: trimmed.slice(space).trim() };
}

/** A fence at column 1 whose language is a cell language, or that carries a metadata object, opens a cell. */
export function cellOpener(line: string): (Fence & CellInfo) | undefined {
  const fence = fenceOpener(line);
  if (!fence || fence.indent > 0) return undefined;
  const info = splitInfo(fence.info);
  if (!info.language) return undefined;
  if (!CELL_LANGUAGES.includes(info.language) && !info.json.startsWith('{')) return undefined;
  return { ...fence, ...info };
}

/** Whether a line opens a version-2 output comment (`<!-- cnbook:output` alone or followed by a space). */
export function opensOutput(line: string): boolean {
  return line === OUTPUT_OPEN || line.startsWith(`${OUTPUT_OPEN} `);
}

/** Whether a line starts a `<!-- cnbook:markdown ... -->` marker in a file of this version. */
export function opensMarker(line: string, version: FormatVersion): boolean {
  return MARKDOWN_OPEN.test(line) || (version >= 2 && MARKDOWN_OPEN_LINES.test(line));
}

/** Whether a line outside any Markdown fence would start a block rather than continue Markdown text. */
export function opensBlock(line: string, version: FormatVersion): boolean {
  return (
    cellOpener(line) !== undefined ||
    opensMarker(line, version) ||
    line.startsWith(OUTPUTS_OPEN_PREFIX) ||
    line === OUTPUTS_CLOSE
  );
}

/**
 * Scans Markdown lines from `start`, skipping the insides of non-cell fences; returns the index of the
 * first line that opens a block (or lines.length), and whether a Markdown fence was left open.
 */
export function scanMarkdown(
  lines: readonly string[],
  start: number,
  version: FormatVersion,
): { end: number; unclosedFence: boolean } {
  let open: Fence | undefined;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (open) {
      if (closesFence(line, open)) open = undefined;
      continue;
    }
    if (opensBlock(line, version)) return { end: i, unclosedFence: false };
    open = fenceOpener(line);
  }
  return { end: lines.length, unclosedFence: open !== undefined };
}

/** Appends without spreading into arguments, which overflows the stack for very long cells. */
export function append(target: string[], items: readonly string[]): void {
  for (const item of items) target.push(item);
}

/** `count` blank lines, as written in `text` when that still matches, else empty ones. */
export function blankLines(count: number | undefined, text: readonly string[] | undefined, fallback: number): string[] {
  const n = count !== undefined && Number.isInteger(count) && count >= 0 ? count : fallback;
  if (text?.length === n && text.every((line) => typeof line === 'string' && isBlank(line))) return [...text];
  return Array<string>(n).fill('');
}

/** The recorded blank lines worth keeping: only when some are not empty (the default prints empty ones). */
export function blankText(lines: readonly string[]): string[] | undefined {
  return lines.some((line) => line !== '') ? [...lines] : undefined;
}
