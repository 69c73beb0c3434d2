import { isAlias, isCollection, isPair, type Document, type LineCounter } from 'yaml';
import { CnbookFormatError } from './errors';

/**
 * How deeply the front matter may nest (mappings and lists inside each other). Real front matter nests two
 * or three levels; the limit keeps a hostile file from exhausting the parser's stack or ours (printing and
 * comparing front matter recurse), and makes the refusal the same on every host whatever its stack size.
 */
export const FRONT_MATTER_MAX_DEPTH = 64;

const EXPECTED = `front matter nested at most ${FRONT_MATTER_MAX_DEPTH} levels deep`;

/** The refusal, at a 1-based file line. */
export function tooDeep(line: number): CnbookFormatError {
  const problem = `the front matter nests deeper than ${FRONT_MATTER_MAX_DEPTH} levels (cnbook's limit)`;
  return CnbookFormatError.at(line, problem, EXPECTED);
}

/**
 * The file line of the first node nested past the limit, or undefined. Walks with a stack of its own, so
 * that measuring a deep document cannot overflow the call stack the way parsing it would.
 */
export function firstTooDeepLine(document: Document, lineCounter: LineCounter): number | undefined {
  const pending: { node: unknown; depth: number }[] = [{ node: document.contents, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { node, depth } = next;
    if (!isCollection(node)) continue;
    if (depth > FRONT_MATTER_MAX_DEPTH) return 1 + lineCounter.linePos(node.range?.[0] ?? 0).line;
    for (const item of node.items) {
      const children = isPair(item) ? [item.key, item.value] : [item];
      for (const child of children) if (!isAlias(child)) pending.push({ node: child, depth: depth + 1 });
    }
  }
  return undefined;
}
