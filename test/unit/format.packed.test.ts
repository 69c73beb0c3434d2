import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { hashedText } from '../../src/core/sql/resultBuilder';
import { describe, expect, it } from 'vitest';
import {
  CnbookFormatError,
  parseNotebook,
  printNotebook,
  type CellOutput,
  type CodeCell,
  type JsonObject,
  type Notebook,
} from '../../src/core/format';
import { findingsOutput } from '../../src/core/probes/render';
import { compareRuns, type ResultPayload, type TargetRun } from '../../src/core/sql/payload';
import { renderResultMarkdown } from '../../src/core/sql/render';
import { finding, resultPayload } from './format.arbitraries';

const RESULT_MIME = 'application/vnd.cnbook.result+json';

const cellWith = (outputs: CellOutput[]): Notebook => ({
  frontMatter: { cnbook: 2 },
  cells: [{ kind: 'code', language: 'sql', source: 'SELECT 1', outputs }],
});
const readBack = (nb: Notebook) => (parseNotebook(printNotebook(nb)).cells[0] as CodeCell).outputs;
/** The JSON of each output comment, as the file holds it. */
const comments = (text: string) =>
  [...text.matchAll(/<!-- cnbook:output[ \n]([^]*?)-->/g)].map((m) => JSON.parse(m[1]!) as JsonObject);

const hashOf = (rows: (string | null)[][]) => `sha256:${createHash('sha256').update(hashedText(rows)).digest('hex')}`;

function run(connection: string, rows: (string | null)[][], finished = '2026-12-01T10:00:00.025Z'): TargetRun {
  return {
    connection,
    provenance: {
      connection,
      host: '127.0.0.1',
      port: 5432,
      database: 'postgres',
      user: 'postgres',
      startedAt: '2026-12-01T10:00:00.000Z',
      finishedAt: finished,
      durationMs: Date.parse(finished) - Date.parse('2026-12-01T10:00:00.000Z'),
      rowCount: rows.length,
      osUser: 'oncall',
      readOnly: true,
    },
    statements: [
      {
        command: 'SELECT',
        columns: [{ name: 'n', typeOid: 20, type: 'int8' }],
        rows,
        rowCount: rows.length,
        truncated: false,
        hash: hashOf(rows),
      },
    ],
  };
}

function resultOutput(payload: ResultPayload): CellOutput {
  return {
    items: [
      { mime: RESULT_MIME, text: JSON.stringify(payload) },
      { mime: 'text/markdown', text: renderResultMarkdown(payload) },
    ],
  };
}

describe('packed outputs (version 2)', () => {
  it('stores findings and their view as {"shapes", "findings"}, each key list once, and reads them back', () => {
    const metrics = (lag: number) => ({ lagSeconds: lag, bytesBehind: lag * 100, replayPaused: false });
    const output = findingsOutput(
      ['db2', 'db3', 'db4'].map((name, i) => ({
        probe: 'replication-lag' as const,
        target: name,
        connection: name,
        severity: 'ok' as const,
        summary: 'caught up',
        metrics: metrics(i),
      })),
    );
    const nb = cellWith([output]);
    const [stored] = comments(printNotebook(nb));
    expect(Object.keys(stored!)).toEqual(['shapes', 'findings']);
    expect(stored!.shapes).toEqual([['lagSeconds', 'bytesBehind', 'replayPaused']]);
    expect(readBack(nb)).toEqual([output]);
  });

  it('leaves out of a result what its rows and its first run say, and puts it back on reading', () => {
    const rows = [['1'], ['2']];
    const runs = [run('db1', rows), run('db2', rows, '2026-12-01T10:00:00.031Z'), run('db3', [['1']])];
    const payload: ResultPayload = { version: 1, results: runs, comparison: compareRuns(runs) };
    const nb = cellWith([resultOutput(payload)]);
    const text = printNotebook(nb);
    const stored = comments(text)[0]!.result as { comparison?: unknown; results: unknown[] };
    expect(text).not.toContain('"hash"');
    expect(text).not.toContain('"truncated"');
    expect(text).not.toContain('"finishedAt"');
    expect(stored).not.toHaveProperty('comparison');
    // db2 got the rows db1 got: it stores neither them nor the columns; db3 got others.
    expect(JSON.stringify(stored.results[1])).not.toContain('"1"');
    expect(JSON.stringify(stored.results[2])).toContain('"1"');
    expect(readBack(nb)).toEqual([resultOutput(payload)]);
  });

  it('keeps what does not follow: a hash of more rows than stored, an edited comparison, another column', () => {
    const truncated = run('db1', [['1']]);
    truncated.statements![0] = { ...truncated.statements![0]!, rowCount: 5000, truncated: true, hash: 'sha256:ab' };
    const other = run('db2', [['1']]);
    other.statements![0]!.columns = [{ name: 'm', typeOid: 25, type: 'text' }];
    const comparison = { agree: true, summary: 'checked by hand', differingRows: {} };
    const payload: ResultPayload = { version: 1, results: [truncated, other], comparison };
    const nb = cellWith([resultOutput(payload)]);
    const text = printNotebook(nb);
    expect(text).toContain('"sha256:ab"');
    expect(text).toContain('checked by hand');
    expect(text).toContain('"m"');
    expect(readBack(nb)).toEqual([resultOutput(payload)]);
  });

  it('packs every result and findings output cnbook writes, and reads each back as it was', () => {
    const outputs = fc.oneof(
      // With no run or no finding there is nothing to leave out: such a payload is stored as "json".
      resultPayload
        .filter((p) => p.results.length > 0)
        .map(({ results }) => {
          // As src/core/sql/execute.ts writes it: with the comparison whenever there is one.
          const comparison = compareRuns(results);
          return resultOutput(comparison ? { version: 1, results, comparison } : { version: 1, results });
        }),
      fc.array(finding, { minLength: 1, maxLength: 4 }).map((findings) => findingsOutput(findings)),
    );
    fc.assert(
      fc.property(outputs, (output) => {
        const nb = cellWith([output]);
        const [stored] = comments(printNotebook(nb));
        // The long form only when the view would not read back as the Markdown (it is then stored inline).
        const items = stored!.items as JsonObject[] | undefined;
        if (items) expect(items[1]).toHaveProperty('text');
        else
          expect(Object.keys(stored!).filter((k) => k !== 'shapes')).toEqual([
            expect.stringMatching(/^(findings|result)$/),
          ]);
        expect(readBack(nb)).toEqual([output]);
      }),
      { numRuns: Number(process.env.CNBOOK_FC_RUNS ?? 300) },
    );
  }, 60_000);

  it("packs a result with cut values as any other, keeping the cut cells and the full rows' hash", () => {
    const rows = [['x'.repeat(10), '1']];
    const cutCells = [{ row: 0, column: 0, length: 209_715_200, sha256: 'ab'.repeat(32) }];
    const statement = (hash: string) => ({
      command: 'SELECT',
      columns: [
        { name: 'v', type: 'text', typeOid: 25 },
        { name: 'n', type: 'int4', typeOid: 23 },
      ],
      rows,
      rowCount: 1,
      truncated: false,
      hash,
      cutCells,
    });
    const cutRun = (connection: string, hash: string): TargetRun => ({
      ...run(connection, rows),
      statements: [statement(hash)],
    });
    // Two hosts whose values agree up to the cut and differ after it: their hashes differ.
    const results = [cutRun('db1', `sha256:${'1'.repeat(64)}`), cutRun('db2', `sha256:${'2'.repeat(64)}`)];
    const comparison = compareRuns(results)!;
    expect(comparison.agree).toBe(false);
    const output = resultOutput({ version: 1, results, comparison });
    const [stored] = comments(printNotebook(cellWith([output])));
    const packed = JSON.stringify(stored);
    // The second run's statement leaves out what the first one says (columns, rows), not its cut cells.
    expect(packed.match(/"v"/g)).toHaveLength(1);
    expect(packed.match(/209715200/g)).toHaveLength(2);
    expect(readBack(cellWith([output]))).toEqual([output]);
  });

  it('names the line of an output whose shapes do not read', () => {
    const findings = ['db2', 'db3', 'db4'].map((name) => ({
      probe: 'topology' as const,
      target: name,
      severity: 'ok' as const,
      summary: 'standby',
      metrics: { inRecovery: true, timeline: 1, upstream: 'db1:5432' },
    }));
    const text = printNotebook(cellWith([findingsOutput(findings)]));
    expect(text).toContain('["§0",');
    const broken = text.replace('["§0",', '["§3",');
    const line = text.split('\n').indexOf('<!-- cnbook:output') + 1;
    expect(() => parseNotebook(broken)).toThrow(CnbookFormatError);
    expect(() => parseNotebook(broken)).toThrow(`line ${line}`);
    expect(() => parseNotebook(broken)).toThrow('"§3" names no shape (there are 1)');
  });
});

describe('packed markers (version 2)', () => {
  const next = (chart: string, probe: string) => ({ chart, node: 'Restore', suggestion: 'do it', probe, cell: 1 });
  const problems = [
    { type: 'eventual', rootCause: 'replay paused on db2', causeNode: 'Config', severity: 'warning' },
    { type: 'strong', rootCause: 'orphans on db1', causeNode: 'Integrity', severity: 'critical' },
  ].map((p) => ({ ...p, next: next(p.type, 'x'.repeat(40)) }));
  const diagnosis = {
    consistencyType: 'eventual',
    rootCause: 'replay paused on db2',
    severity: 'warning',
    path: ['overall:Alert', 'overall:Scope', 'overall:Types', 'overall:Eventual'],
    next: problems[0]!.next,
    escalation: { consistencyType: 'eventual', limitMinutes: 30, elapsedMinutes: null, due: false, contact: null },
    problems,
    diagnosedAt: '2026-12-01T10:00:00.000Z',
  };
  const markdownCell = (metadata: JsonObject): Notebook => ({
    frontMatter: { cnbook: 2 },
    cells: [{ kind: 'markdown', source: '## Diagnosis', metadata }],
  });

  it('stores the diagnosis without the primary problem a second time, and reads it back', () => {
    const nb = markdownCell({ cnbook: 'diagnosis', diagnosis });
    const text = printNotebook(nb);
    expect(text.split('\n')).toContain('<!-- cnbook:markdown shapes');
    expect(text.match(/replay paused on db2/g)).toHaveLength(1);
    expect(text).not.toContain('"chart"');
    expect(parseNotebook(text).cells[0]!.metadata).toEqual({ cnbook: 'diagnosis', diagnosis });
  });

  it('keeps a primary that is not the first problem (an edited record) as it is', () => {
    const edited = { ...diagnosis, rootCause: 'written by hand' };
    const nb = markdownCell({ cnbook: 'diagnosis', diagnosis: edited });
    expect(parseNotebook(printNotebook(nb)).cells[0]!.metadata).toEqual({ cnbook: 'diagnosis', diagnosis: edited });
  });

  it("stores a timeline's diagnosis entries without the time, author and cause the entries before them hold", () => {
    const runEntry = (at: string, cell: number) => ({
      language: 'sql',
      durationMs: 12,
      connections: ['db1', 'db2'],
      at,
      findings: { ok: 1 },
      who: 'oncall',
      cell,
      label: 'SELECT count(*) FROM orders',
      outcome: 'ok',
      kind: 'run',
    });
    const change = (at: string, severity: string) => ({
      kind: 'diagnosis',
      at,
      who: 'oncall',
      consistencyType: 'eventual',
      severity,
      rootCause: 'replay paused on db2: 10096 bytes behind, replay PAUSED',
    });
    const entries = [
      runEntry('2026-12-01T10:00:00.000Z', 1),
      change('2026-12-01T10:00:00.000Z', 'warning'),
      runEntry('2026-12-01T10:01:00.000Z', 3),
      change('2026-12-01T10:01:00.000Z', 'critical'),
      { kind: 'note', at: '2026-12-01T10:02:00.000Z', who: 'lead', text: 'paged the DBA' },
      change('2026-12-01T10:03:00.000Z', 'ok'),
    ];
    const metadata = { cnbook: 'timeline', timeline: { version: 1, entries } };
    const text = printNotebook(markdownCell(metadata));
    expect(text.match(/replay PAUSED/g)).toHaveLength(1);
    expect(text.match(/2026-12-01T10:01:00.000Z/g)).toHaveLength(1);
    // The last change is an hour's note later: its own time stays.
    expect(text).toContain('2026-12-01T10:03:00.000Z');
    expect(parseNotebook(text).cells[0]!.metadata).toEqual(metadata);
  });
});
