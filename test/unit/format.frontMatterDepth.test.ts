import { formatRefusal } from '../helpers/formatRefusal';
import { describe, expect, it } from 'vitest';
import { parseNotebook, printNotebook, sameNotebook } from '../../src/core/format';
import { FRONT_MATTER_MAX_DEPTH } from '../../src/core/format/frontMatterDepth';

const runbook = (yaml: string) => `---\ncnbook: 2\n${yaml}---\n\n# Step\n`;
/** The top-level mapping, `a:`, then `depth - 1` mappings each indented one more: `depth` levels. */
const blockNested = (depth: number) =>
  `a:\n${Array.from({ length: depth - 1 }, (_, i) => `${' '.repeat(i + 1)}b:\n`).join('')}${' '.repeat(depth)}v\n`;
/** The top-level mapping and `depth - 1` lists inside each other. */
const flowNested = (depth: number) => `a: ${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}\n`;

describe('front matter nested too deeply', () => {
  const message = `line %s: the front matter nests deeper than ${FRONT_MATTER_MAX_DEPTH} levels (cnbook's limit)`;

  it.each([
    // The mapping at level n starts on line n + 2 (line 1 is ---, line 2 the version, line 3 `a:`).
    ['block mappings, one past the limit', blockNested(FRONT_MATTER_MAX_DEPTH + 1), FRONT_MATTER_MAX_DEPTH + 3],
    ['block mappings 1,000 deep', blockNested(1000), FRONT_MATTER_MAX_DEPTH + 3],
    ['flow lists, one past the limit', flowNested(FRONT_MATTER_MAX_DEPTH + 1), 3],
    ['flow lists 1,000 deep', flowNested(1000), 3],
    ['flow lists 100,000 deep', flowNested(100_000), 3],
    ['flow mappings 5,000 deep', `a: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}\n`, 3],
  ])('%s: a plain message naming the limit and the line', (_name, yaml, line) => {
    const error = formatRefusal(runbook(yaml));
    expect(error.message).toBe(
      `${message.replace('%s', String(line))}; ` +
        `expected front matter nested at most ${FRONT_MATTER_MAX_DEPTH} levels deep`,
    );
    expect(error.line).toBe(line);
  });

  it('counts what aliases repeat: anchors nesting each other past the limit', () => {
    const anchors = Array.from({ length: 4 }, (_, i) => {
      const inner = i === 0 ? '1' : `*x${i - 1}`;
      return `x${i}: &x${i} ${'['.repeat(20)}${inner}${']'.repeat(20)}\n`;
    });
    expect(formatRefusal(runbook(anchors.join(''))).line).toBe(2);
  });

  it.each([
    ['flow lists', flowNested(FRONT_MATTER_MAX_DEPTH)],
    ['block mappings', blockNested(FRONT_MATTER_MAX_DEPTH)],
  ])('reads and prints back %s at the limit', (_name, yaml) => {
    const text = runbook(yaml);
    const notebook = parseNotebook(text);
    expect(printNotebook(notebook)).toBe(text);
    const canonical = { ...notebook, layout: {} };
    expect(sameNotebook(parseNotebook(printNotebook(canonical)), canonical)).toBe(true);
  });
});
