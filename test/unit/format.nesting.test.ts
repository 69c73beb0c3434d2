import { formatRefusal } from '../helpers/formatRefusal';
import { describe, expect, it } from 'vitest';
import { parseNotebook, printNotebook } from '../../src/core/format';
import { JSON_MAX_DEPTH } from '../../src/core/format/nesting';

const nested = (depth: number) => `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
const withInfo = (json: string) => `---\ncnbook: 2\n---\n\n\`\`\`sql ${json}\nSELECT 1\n\`\`\`\n`;
const withOutput = (json: string) =>
  `---\ncnbook: 2\n---\n\n\`\`\`sql\nSELECT 1\n\`\`\`\n` +
  `<!-- cnbook:outputs -->\n<!-- cnbook:output ${json} -->\n<!-- /cnbook:outputs -->\n`;

describe('JSON in a file nested too deeply to print back', () => {
  it.each([
    ['cell metadata one past the limit', withInfo(nested(JSON_MAX_DEPTH + 1)), 5, 'cell metadata JSON'],
    ['cell metadata 100,000 deep', withInfo(nested(100_000)), 5, 'cell metadata JSON'],
    ['an output comment 100,000 deep', withOutput(`{"items":[${nested(100_000)}]}`), 9, 'output comment'],
    [
      "an output's JSON item 100,000 deep",
      withOutput(`{"items":[{"mime":"application/json","json":${nested(100_000)}}]}`),
      9,
      'output comment',
    ],
  ])('%s: refused at its line, naming the limit', (_name, text, line, where) => {
    const error = formatRefusal(text);
    expect(error.line).toBe(line);
    expect(error.message).toMatch(`line ${line}: the ${where} nests deeper than ${JSON_MAX_DEPTH} levels`);
  });

  it('reads and prints back cell metadata at the limit', () => {
    const text = withInfo(nested(JSON_MAX_DEPTH));
    expect(printNotebook(parseNotebook(text))).toBe(text);
  });
});
