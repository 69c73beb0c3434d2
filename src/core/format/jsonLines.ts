import { commentJson } from './json';

/** Columns a JSON value may take on one line before it is broken over several (the project's print width). */
export const JSON_LINE_WIDTH = 120;

/**
 * A JSON value for an HTML comment, over lines of at most JSON_LINE_WIDTH columns (but for a string longer
 * than that) so that a diff shows the members that changed: a value whose compact form fits stays on one
 * line; a longer object or array fills lines with its scalar members and lays out each object or array
 * member the same way, starting after the members before it. No indentation: the JSON is hidden when the file is
 * read as Markdown, and indentation would cost more bytes than the outputs themselves. A function of the
 * value alone, so printing is byte-stable.
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
  let line = `${prefix}${members.open}`;
  // Only a bracket alone is never left on a line of its own.
  const opened = prefix === '' ? line : undefined;
  const last = members.entries.length - 1;
  members.entries.forEach(([key, member], index) => {
    const end = index === last ? `${members.close}${suffix}` : ',';
    if (memberList(member) === undefined) {
      const text = `${key}${commentJson(member ?? null)}${end}`;
      if (line !== opened && line.length + text.length > JSON_LINE_WIDTH) {
        lines.push(line);
        line = '';
      }
      line += text;
    } else {
      // After the scalars before it; the members after it start a line, so that a change in one member of a
      // list of objects or arrays (findings, timeline entries) changes the lines of that member only.
      layOut(member, `${line}${key}`, end, lines);
      line = '';
    }
  });
  if (line !== '') lines.push(line);
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
