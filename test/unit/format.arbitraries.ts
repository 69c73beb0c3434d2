import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { hashedText } from '../../src/core/sql/resultBuilder';
import type { CutCell } from '../../src/core/sql/cutValue';
import type {
  Cell,
  CellOutput,
  CodeCell,
  ExecutionSummary,
  JsonObject,
  MarkdownCell,
  Notebook,
} from '../../src/core/format';
import { expectationFindings } from '../../src/core/probes/expect';
import { findingsOutput } from '../../src/core/probes/render';
import { PROBE_NAMES, type Finding } from '../../src/core/probes/types';
import { renderResultMarkdown } from '../../src/core/sql/render';
import { compareRuns, type ResultPayload, type TargetRun } from '../../src/core/sql/payload';

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
  // Version 2's marker over lines.
  '<!-- cnbook:markdown',
  '<!-- cnbook:markdown lines=1',
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

/** Text for the fields a findings view shows: the separators and escapes its lines are read back by. */
const viewString = fc.oneof(
  fc.constantFrom(
    'db1',
    'us-east/slot_a',
    'a → b: orders',
    ': ',
    '**',
    '\\*',
    '&amp;',
    '<b>',
    '↵ x',
    'a\nb',
    '',
    '`x`',
    // What shapes mark arrays with (src/core/format/shapes.ts).
    '§',
    '§0',
  ),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);

export const finding: fc.Arbitrary<Finding> = fc
  .record({
    probe: fc.constantFrom(...PROBE_NAMES),
    target: viewString,
    severity: fc.constantFrom('ok', 'warning', 'critical', 'unknown' as const),
    summary: viewString,
    connection: fc.option(fc.oneof(viewString, fc.constant('db1')), { nil: undefined }),
    metrics: jsonObject,
    evidence: fc.option(jsonValue, { nil: undefined }),
  })
  .map(({ connection, evidence, ...f }) => {
    // Key order as the probes write it: connection after the target, evidence last.
    const { probe, target, severity, summary, metrics } = f;
    return {
      probe,
      target,
      ...(connection === undefined ? {} : { connection }),
      severity,
      summary,
      metrics,
      ...(evidence === undefined ? {} : { evidence }),
    } as Finding;
  });

export const targetRun: fc.Arbitrary<TargetRun> = fc
  .record({
    connection: viewString,
    role: fc.option(fc.constantFrom('primary', 'replicas'), { nil: undefined }),
    startedMs: fc.nat({ max: 2_000_000_000_000 }),
    durationMs: fc.nat({ max: 5000 }),
    rows: fc.array(fc.array(fc.option(viewString, { nil: null }), { minLength: 1, maxLength: 2 }), { maxLength: 3 }),
    odd: fc.boolean(),
    hash: fc.constantFrom('rows', 'other', 'truncated'),
    cut: fc.boolean(),
  })
  .map(({ connection, role, startedMs, durationMs, rows, odd, hash, cut }) => ({
    connection,
    ...(role ? { role } : {}),
    provenance: {
      connection: odd ? 'another' : connection,
      ...(role ? { role } : {}),
      host: '127.0.0.1',
      port: 5432,
      database: 'postgres',
      user: 'postgres',
      startedAt: new Date(startedMs).toISOString(),
      finishedAt: new Date(startedMs + durationMs).toISOString(),
      durationMs: odd ? durationMs + 1 : durationMs,
      rowCount: rows.length,
      osUser: 'oncall',
      readOnly: true,
    },
    statements: [
      {
        command: 'SELECT',
        columns: [{ name: 'a', type: 'text', typeOid: 25 }],
        rows,
        rowCount: hash === 'truncated' ? rows.length + 10 : rows.length,
        truncated: hash === 'truncated',
        hash: hash === 'rows' ? rowsHash(rows) : 'sha256:00',
        ...(cut && cutCellsOf(rows).length > 0 ? { cutCells: cutCellsOf(rows) } : {}),
      },
    ],
  }));

/** Every non-NULL value taken as the kept part of a longer one (src/core/sql/cutValue.ts). */
function cutCellsOf(rows: readonly (string | null)[][]): CutCell[] {
  return rows.flatMap((row, r) =>
    row.flatMap((value, column) =>
      value === null
        ? []
        : [
            {
              row: r,
              column,
              length: value.length * 3 + 7,
              sha256: createHash('sha256').update(`${value}+`).digest('hex'),
            },
          ],
    ),
  );
}

/** The hash cnbook stores for a statement's rows (src/core/sql/resultBuilder.ts). */
function rowsHash(rows: readonly (string | null)[][]): string {
  return `sha256:${createHash('sha256').update(hashedText(rows)).digest('hex')}`;
}

/** The runs of a cell as cnbook writes them: often the same columns and rows everywhere, with their comparison. */
export const resultPayload: fc.Arbitrary<ResultPayload> = fc
  .tuple(fc.array(targetRun, { maxLength: 3 }), fc.boolean(), fc.boolean())
  .map(([runs, sameRows, compared]) => {
    const first = runs[0]?.statements?.[0];
    const results = sameRows && first ? runs.map((run) => ({ ...run, statements: [{ ...first }] })) : runs;
    const comparison = compared ? compareRuns(results) : undefined;
    return comparison ? { version: 1, results, comparison } : { version: 1, results };
  });

/** Outputs as cnbook writes them (findings, SQL results with their views), sometimes with the view edited. */
const cnbookOutput: fc.Arbitrary<CellOutput> = fc
  .tuple(
    fc.oneof(
      fc.array(finding, { maxLength: 4 }).map(findingsOutput),
      resultPayload.map((payload): CellOutput => {
        return {
          items: [
            { mime: 'application/vnd.cnbook.result+json', text: JSON.stringify(payload) },
            { mime: 'text/markdown', text: renderResultMarkdown(payload) },
          ],
        };
      }),
    ),
    fc.option(text, { nil: undefined, freq: 4 }),
  )
  .map(([out, edited]) =>
    edited === undefined
      ? out
      : { items: out.items.map((item) => (item.mime === 'text/markdown' ? { ...item, text: edited } : item)) },
  );

/** A SQL cell with `-- @expect empty` as cnbook runs it: its result, then its check with the rows as evidence. */
export const sqlCheckOutputs: fc.Arbitrary<CellOutput[]> = fc
  .tuple(fc.array(targetRun, { minLength: 1, maxLength: 2 }), fc.boolean())
  .map(([results, later]) => {
    const payload: ResultPayload = { version: 1, results };
    const result: CellOutput = {
      items: [
        { mime: 'application/vnd.cnbook.result+json', text: JSON.stringify(payload) },
        { mime: 'text/markdown', text: renderResultMarkdown(payload) },
      ],
    };
    const check = findingsOutput(expectationFindings({ kind: 'empty' }, results, 'cell 2'));
    // A later result in the same cell is not the one the evidence was taken from.
    return later ? [result, check, result] : [result, check];
  });

const output: fc.Arbitrary<CellOutput> = fc.oneof(
  fc.record({ items: fc.array(outputItem, { maxLength: 3 }), metadata: jsonObject }, { requiredKeys: ['items'] }),
  cnbookOutput,
);

const execution: fc.Arbitrary<ExecutionSummary> = fc.record(
  { executionOrder: fc.nat(), success: fc.boolean(), startTime: fc.nat(), endTime: fc.nat() },
  { requiredKeys: [] },
);

/** Metadata long enough to be written over lines in version 2 (a timeline, a diagnosis). */
const longMetadata: fc.Arbitrary<JsonObject> = fc.oneof(
  fc
    .array(jsonObject, { minLength: 3, maxLength: 8 })
    .map((entries) => ({ cnbook: 'timeline', entries, note: 'x'.repeat(60) })),
  recordCellMetadata(),
);

/** The metadata of a record's diagnosis or timeline cell, as cnbook writes it or edited out of that shape. */
function recordCellMetadata(): fc.Arbitrary<JsonObject> {
  const type = fc.constantFrom('strong', 'eventual', 'session');
  const severity = fc.constantFrom('ok', 'warning', 'critical');
  const cause = fc.constantFrom('replay paused on db2', 'copies differ: db1 → db2', '§0', '');
  const next = fc.record({ chart: type, node: fc.constant('Restore'), suggestion: cause, probe: fc.constant('x') });
  const problem = fc.record({ type, rootCause: cause, causeNode: fc.constant('Config'), severity, next });
  const escalation = fc.record({ consistencyType: type, limitMinutes: fc.nat(60), due: fc.boolean() });
  const diagnosis = fc
    .record({ problems: fc.array(problem, { maxLength: 3 }), escalation, edited: fc.option(jsonObject) })
    .map(({ problems, escalation, edited }) => {
      const first = problems[0];
      const primary = first
        ? { consistencyType: first.type, rootCause: first.rootCause, severity: first.severity }
        : { consistencyType: 'none', rootCause: null, severity: 'ok' };
      const path = ['overall:Alert', 'overall:Scope'];
      const d = { ...primary, path, next: first?.next ?? null, escalation, problems, diagnosedAt: 'now' };
      return { cnbook: 'diagnosis', diagnosis: edited ? { ...d, ...edited } : d };
    });
  const at = fc.constantFrom('2026-12-01T10:00:00.000Z', '2026-12-01T10:05:00.000Z');
  const who = fc.constantFrom('root', 'oncall');
  const run = fc.record({ language: fc.constant('sql'), at, who, cell: fc.nat(9), kind: fc.constant('run') });
  const change = fc.record({
    kind: fc.constant('diagnosis'),
    at,
    who,
    consistencyType: type,
    severity,
    rootCause: cause,
  });
  const note = fc.record({ kind: fc.constant('note'), at, who, text: cause });
  const timeline = fc
    .array(fc.oneof(run, change, change, note, jsonObject), { minLength: 2, maxLength: 8 })
    .map((entries) => ({ cnbook: 'timeline', timeline: { version: 1, entries } }));
  return fc.oneof(diagnosis, timeline);
}

const markdownCell: fc.Arbitrary<MarkdownCell> = fc.record(
  { kind: fc.constant('markdown' as const), source: text, metadata: fc.oneof(jsonObject, longMetadata) },
  { requiredKeys: ['kind', 'source'] },
);

const codeCell: fc.Arbitrary<CodeCell> = fc.record(
  {
    kind: fc.constant('code' as const),
    language: fc.constantFrom('sql', 'cnprobe', 'python', 'json', 'markdown'),
    source: text,
    metadata: jsonObject,
    outputs: fc.oneof(
      { weight: 4, arbitrary: fc.array(output, { maxLength: 3 }) },
      { weight: 1, arbitrary: sqlCheckOutputs },
    ),
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

const compactResult = fc.record({
  version: fc.constant(1),
  results: fc.array(
    fc.record({
      connection: fc.constantFrom('db1', 'db2'),
      provenance: fc.record({ host: fc.constant('h'), startedAt: fc.constant('2026-01-01T00:00:00.000Z') }),
      statements: fc.constant([{ rowCount: 2 }]),
    }),
    { maxLength: 2 },
  ),
});

const storedItemV2 = fc.oneof(
  outputItem,
  fc.record({ mime: fc.constantFrom('application/vnd.cnbook.result+json', 'x/y'), json: jsonValue }),
  fc.record({ mime: fc.constant('text/markdown'), view: fc.constant(true) }),
  fc.record({
    mime: fc.constantFrom('application/vnd.cnbook.result+json', 'application/vnd.cnbook.findings+json'),
    compact: fc.oneof(compactResult, jsonValue),
  }),
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

/** A Markdown marker over lines (version 2), its JSON laid out by hand, then a line of the cell. */
const markerOverLines = fc
  .tuple(fc.constantFrom('<!-- cnbook:markdown', '<!-- cnbook:markdown lines=1'), jsonObject, line)
  .chain(([open, metadata, after]) => jsonText(metadata).map((json) => [open, ...json.split('\n'), '-->', after]));

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
        fc.oneof(
          { weight: 4, arbitrary: line.map((l) => [l]) },
          { weight: 1, arbitrary: cellWithOutputs },
          { weight: 1, arbitrary: markerOverLines },
        ),
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
