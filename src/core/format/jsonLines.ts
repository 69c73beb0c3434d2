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
  const members = memberList(value);
  const room = JSON_LINE_WIDTH - prefix.length - suffix.length;
  if (!members || members.entries.length === 0 || compactLength(value, room) <= room) {
    lines.push(`${prefix}${commentJson(value)}${suffix}`);
    return;
  }
  lines.push(`${prefix}${members.open}`);
  const last = members.entries.length - 1;
  members.entries.forEach(([key, member], index) => layOut(member, key, index < last ? ',' : '', lines));
  lines.push(`${members.close}${suffix}`);
}

/**
 * The length of commentJson(value), or more than `budget` once it is known to be longer: a container is
 * measured only as far as it could still fit, so laying out a large output costs about its size.
 */
function compactLength(value: unknown, budget: number): number {
  const members = memberList(value);
  if (!members) {
    if (typeof value === 'string' && value.length + 2 > budget) return budget + 1;
    return commentJson(value).length;
  }
  let length = 2 + Math.max(0, members.entries.length - 1);
  for (const [key, member] of members.entries) {
    if (length > budget) break;
    length += key.length + compactLength(member, budget - length - key.length);
  }
  return length;
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
