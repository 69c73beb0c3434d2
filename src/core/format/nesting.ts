import { CnbookFormatError } from './errors';

/**
 * How deeply JSON read from a file (cell metadata, outputs) may nest. The printer and the comparisons walk
 * values recursively; past a few thousand levels they run out of stack, so that a file the reader took
 * could not be saved. The limit is far above any real metadata or result and far below that.
 */
export const JSON_MAX_DEPTH = 256;

/** The nesting depth of plain data (1 for an object or array holding no other), stopping once past `limit`. */
export function nestingDepth(data: unknown, limit: number): number {
  let deepest = 0;
  const pending: { value: unknown; depth: number }[] = [{ value: data, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value !== 'object' || value === null) continue;
    deepest = Math.max(deepest, depth);
    if (depth > limit) return depth;
    for (const child of Object.values(value)) pending.push({ value: child, depth: depth + 1 });
  }
  return deepest;
}

/** `value`, or a format error at `line` when it nests past JSON_MAX_DEPTH. */
export function shallowJson<T>(value: T, line: number, where: string, expected: string): T {
  if (nestingDepth(value, JSON_MAX_DEPTH) <= JSON_MAX_DEPTH) return value;
  const problem = `the ${where} nests deeper than ${JSON_MAX_DEPTH} levels (cnbook's limit)`;
  throw CnbookFormatError.at(line, problem, expected);
}
