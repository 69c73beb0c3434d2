import { commentJson } from './json';

/** Columns a JSON value may take on one line before it is broken over several (the project's print width). */
export const JSON_LINE_WIDTH = 120;

/**
 * A JSON value for an HTML comment, over lines so that a diff shows the members that changed: a value
 * whose compact form fits in JSON_LINE_WIDTH columns stays on one line; a longer object or array is
 * written as its opening bracket, one line per member (each broken the same way), and its closing
 * bracket. No indentation: the JSON is hidden when the file is read as Markdown, and indentation would
 * cost more bytes than the outputs themselves. A function of the value alone, so printing is byte-stable.
 */
export function jsonLines(value: unknown): string[] {
  const lines: string[] = [];
  layOut(value, '', '', lines);
  return lines;
}

function layOut(value: unknown, prefix: string, suffix: string, lines: string[]): void {
  const compact = commentJson(value);
  const members = memberList(value);
  if (!members || members.entries.length === 0 || prefix.length + compact.length + suffix.length <= JSON_LINE_WIDTH) {
    lines.push(`${prefix}${compact}${suffix}`);
    return;
  }
  lines.push(`${prefix}${members.open}`);
  members.entries.forEach(([key, member], index) =>
    layOut(member, key, index < members.entries.length - 1 ? ',' : '', lines),
  );
  lines.push(`${members.close}${suffix}`);
}

interface Members {
  open: string;
  close: string;
  /** Each member's text before its value (`"key":` or nothing) and its value. */
  entries: [string, unknown][];
}

function memberList(value: unknown): Members | undefined {
  if (Array.isArray(value)) return { open: '[', close: ']', entries: value.map((v) => ['', v ?? null]) };
  if (typeof value !== 'object' || value === null) return undefined;
  // The members JSON.stringify writes, in its order: own enumerable keys whose value is not undefined.
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== 'function')
    .map(([k, v]): [string, unknown] => [`${commentJson(k)}:`, v]);
  return { open: '{', close: '}', entries };
}
