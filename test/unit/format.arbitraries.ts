import fc from 'fast-check';
import type {
  Cell,
  CellOutput,
  CodeCell,
  ExecutionSummary,
  JsonObject,
  MarkdownCell,
  Notebook,
} from '../../src/core/format';

/** Lines chosen to collide with the format's own syntax. */
const TRICKY_LINES = [
  '```sql',
  '```',
  '````',
  '~~~',
  '~~~cnprobe',
  '```python',
  '```python {}',
  '``` sql',
  '```sql {"a":1}',
  '   ```',
  '---',
  '...',
  '<!-- cnbook:markdown -->',
  '<!-- cnbook:markdown lines=2 -->',
  '<!-- cnbook:outputs {"outputs":[]} -->',
  '<!-- /cnbook:outputs -->',
  ' <!-- /cnbook:outputs -->',
  // Version 2's outputs lines.
  '<!-- cnbook:outputs -->',
  '<!-- cnbook:outputs {"execution":{"success":true}} -->',
  '<!-- cnbook:output',
  '<!-- cnbook:output {"items":[]} -->',
  '<!-- cnbook:output {"items":[{"mime":"text/markdown","view":true}]} -->',
  ' <!-- cnbook:output',
  '{"items":[',
  '{"mime":"a/b+json","json":{"x":[1,2]}}',
  ']}',
  '-->',
  '] } -->',
  '',
  '  ',
  '\t',
  '\r',
  '<img src=x onerror=alert(1)>',
  '| a | b |',
  // Characters some tools treat as line breaks or strip: they must stay inside their line.
  '\u2028',
  'a\u2029b',
  '\uFEFF',
  'x\u0085y',
  '```sql {"a":"\u2028"}',
  '<!-- cnbook:markdown {"x":"\u2029"} -->',
  '``` sql  ',
  '```  ',
  ' \t ',
];

/** Strings for metadata and front matter values that stress escaping. */
const TRICKY_VALUES = ['\u2028', 'a\u2029b', '\r\n', '`', '```', '<!--', '-->', '---', '\uFEFF', '\u0085'];

const line = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY_LINES) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => s.replace(/\n/g, ' ')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replace(/\n/g, '')) },
);

export const text = fc.oneof(
  fc.array(line, { maxLength: 8 }).map((lines) => lines.join('\n')),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const safeKey = fc
  .oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...TRICKY_VALUES))
  .filter((k) => k !== '__proto__');
const jsonValue = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown) },
  { weight: 1, arbitrary: fc.constantFrom(...TRICKY_VALUES) },
);
export const jsonObject: fc.Arbitrary<JsonObject> = fc.dictionary(safeKey, jsonValue, { maxKeys: 4 });

const outputItem = fc.oneof(
  fc.record({
    mime: fc.constantFrom(
      'text/markdown',
      'text/plain',
      'application/vnd.cnbook.result+json',
      'application/vnd.code.notebook.error',
      'x/<weird>&',
    ),
    text,
  }),
  fc.record({ mime: fc.constant('image/png'), base64: fc.base64String({ maxLength: 40 }) }),
);

const output: fc.Arbitrary<CellOutput> = fc.record(
  { items: fc.array(outputItem, { maxLength: 3 }), metadata: jsonObject },
  { requiredKeys: ['items'] },
);

const execution: fc.Arbitrary<ExecutionSummary> = fc.record(
  { executionOrder: fc.nat(), success: fc.boolean(), startTime: fc.nat(), endTime: fc.nat() },
  { requiredKeys: [] },
);

const markdownCell: fc.Arbitrary<MarkdownCell> = fc.record(
  { kind: fc.constant('markdown' as const), source: text, metadata: jsonObject },
  { requiredKeys: ['kind', 'source'] },
);

const codeCell: fc.Arbitrary<CodeCell> = fc.record(
  {
    kind: fc.constant('code' as const),
    language: fc.constantFrom('sql', 'cnprobe', 'python', 'json', 'markdown'),
    source: text,
    metadata: jsonObject,
    outputs: fc.array(output, { maxLength: 3 }),
    execution,
  },
  { requiredKeys: ['kind', 'language', 'source'] },
);

export const cell: fc.Arbitrary<Cell> = fc.oneof(markdownCell, codeCell);

export const notebook: fc.Arbitrary<Notebook> = fc.record({
  frontMatter: jsonObject.map((extra) => ({ ...extra, cnbook: 1 })),
  cells: fc.array(cell, { maxLength: 8 }),
});

/** JSON as a person might lay it out: compact, indented, or with a line break after every comma. */
const jsonText = (value: unknown) =>
  fc
    .constantFrom(0, 1, 2, 'commas')
    .map((style) =>
      style === 'commas' ? JSON.stringify(value).replace(/,/g, ',\n') : JSON.stringify(value, null, style),
    );

const viewLines = fc.array(line, { maxLength: 4 });

/** A version 1 outputs block: one comment line, then a view the reader ignores. */
const outputsBlockV1 = fc
  .record({ outputs: fc.array(output, { maxLength: 2 }), execution: fc.option(execution), view: viewLines })
  .map(({ outputs, execution, view }) => [
    `<!-- cnbook:outputs ${JSON.stringify(execution ? { execution, outputs } : { outputs })} -->`,
    ...view,
    '<!-- /cnbook:outputs -->',
  ]);

const storedItemV2 = fc.oneof(
  outputItem,
  fc.record({ mime: fc.constantFrom('application/vnd.cnbook.result+json', 'x/y'), json: jsonValue }),
  fc.record({ mime: fc.constant('text/markdown'), view: fc.constant(true) }),
);

/** One version 2 output: its comment, on one line or several, then its view. */
const outputV2 = fc
  .record({ items: fc.array(storedItemV2, { maxLength: 3 }), view: viewLines, multiline: fc.boolean() })
  .chain(({ items, view, multiline }) =>
    jsonText({ items }).map((json) => {
      // Either '-->' alone on the last line, or right after the JSON (then the opening line holds JSON too).
      const comment = multiline
        ? ['<!-- cnbook:output', ...json.split('\n'), '-->']
        : `<!-- cnbook:output ${json} -->`.split('\n');
      return [...comment, ...view];
    }),
  );

const outputsBlockV2 = fc
  .record({ outputs: fc.array(outputV2, { maxLength: 3 }), execution: fc.option(execution) })
  .map(({ outputs, execution }) => [
    execution ? `<!-- cnbook:outputs ${JSON.stringify({ execution })} -->` : '<!-- cnbook:outputs -->',
    ...outputs.flat(),
    '<!-- /cnbook:outputs -->',
  ]);

/** A code cell with an outputs block of either version, so that a file holds blocks of its own version and not. */
const cellWithOutputs = fc
  .tuple(fc.constantFrom('```sql', '~~~cnprobe', '```python {}'), text, fc.oneof(outputsBlockV1, outputsBlockV2))
  .map(([open, source, block]) => [open, ...source.split('\n'), open.slice(0, 3), ...block]);

/**
 * A file as a person might write it by hand: front matter declaring `version`, then any lines and cells
 * with outputs, with LF or CRLF breaks.
 */
export const handWrittenFile = (version: 1 | 2) =>
  fc
    .record({
      pieces: fc.array(
        fc.oneof({ weight: 4, arbitrary: line.map((l) => [l]) }, { weight: 1, arbitrary: cellWithOutputs }),
        {
          maxLength: 14,
        },
      ),
      crlf: fc.boolean(),
      finalNewline: fc.boolean(),
      bom: fc.boolean(),
    })
    .map(({ pieces, crlf, finalNewline, bom }) => {
      const eol = crlf ? '\r\n' : '\n';
      const body = ['---', `cnbook: ${version}`, '---', ...pieces.flat()].join(eol) + (finalNewline ? eol : '');
      return bom ? `\uFEFF${body}` : body;
    });
