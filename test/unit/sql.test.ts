import { describe, expect, it } from 'vitest';
import { parseAnnotations } from '../../src/core/sql/annotations';
import { bindParameters, splitStatements } from '../../src/core/sql/lexer';
import { locateInCell } from '../../src/core/sql/errors';
import { resolveTargets } from '../../src/core/sql/targets';
import { compareRuns } from '../../src/core/sql/payload';
import { renderResultMarkdown } from '../../src/core/sql/render';
import type { ResolvedConnection, RoleBinding } from '../../src/core/connections';
import { selectRun } from '../helpers/targetRun';

describe('splitting statements', () => {
  it('splits at top-level semicolons only', () => {
    const sql = `SELECT ';' AS a; -- a comment; with semicolon
SELECT $fn$ x; y $fn$, E'it\\'s;', "we;ird" /* c; /* nested; */ */ FROM t;
;;
SELECT 3`;
    const parts = splitStatements(sql).map((s) => s.text);
    expect(parts).toEqual([
      "SELECT ';' AS a",
      `-- a comment; with semicolon\nSELECT $fn$ x; y $fn$, E'it\\'s;', "we;ird" /* c; /* nested; */ */ FROM t`,
      'SELECT 3',
    ]);
  });

  it('drops statements that are only comments, and keeps offsets', () => {
    const sql = '-- @on primary\n-- just a note\n  SELECT 1;\n-- trailing';
    const statements = splitStatements(sql);
    expect(statements).toHaveLength(1);
    expect(sql.slice(statements[0]!.offset).startsWith('-- @on primary')).toBe(true);
  });

  it('keeps $1 placeholders and identifiers with $ intact', () => {
    expect(splitStatements('SELECT a$b, $1; SELECT 2').map((s) => s.text)).toEqual(['SELECT a$b, $1', 'SELECT 2']);
  });
});

describe('parameters', () => {
  it('binds declared :names outside literals and leaves casts alone', () => {
    const { text, values } = bindParameters('SELECT :id::int, \':id\', "col:id", :id, :other -- :id', { id: '42' });
    expect(text).toBe('SELECT $1::int, \':id\', "col:id", $1, :other -- :id');
    expect(values).toEqual(['42']);
  });
});

describe('annotations', () => {
  it('reads @on, @write, @timeout and @expect', () => {
    const { annotations, problems } = parseAnnotations(
      '-- @on primary, replicas\n-- @write\n--@timeout 5s\n-- @expect rows <= 3\nSELECT 1',
    );
    expect(problems).toEqual([]);
    expect(annotations).toEqual({
      on: ['primary', 'replicas'],
      write: true,
      timeoutMs: 5000,
      expect: { kind: 'rows', op: '<=', value: 3 },
    });
  });

  it('reports typos with line, column and a suggestion', () => {
    const { problems } = parseAnnotations('SELECT 1\n  -- @wrtie\n-- @timeout soon\n-- @expect nothing');
    expect(problems[0]).toEqual({
      line: 2,
      column: 6,
      message: expect.stringContaining("unknown annotation '@wrtie' (did you mean 'write'?)"),
    });
    expect(problems[1]).toMatchObject({ line: 3, column: 13, message: expect.stringContaining('duration') });
    expect(problems[2]).toMatchObject({ line: 4, message: expect.stringContaining("@expect needs 'empty'") });
  });
});

describe('error positions', () => {
  it('maps a statement position to a cell line and column', () => {
    const source = 'SELECT 1;\nSELECT\n  nope FROM t';
    const second = splitStatements(source)[1]!;
    expect(locateInCell(source, second.offset, 10)).toEqual({ line: 3, column: 3 });
  });
});

const conn = (name: string): ResolvedConnection => ({
  name,
  host: 'h',
  port: 5432,
  database: 'd',
  user: 'u',
  sslmode: 'prefer',
  allowWrites: false,
  passwordSource: 'none',
});
const bindings = new Map<string, RoleBinding>([
  ['primary', { role: 'primary', connections: [conn('p1')] }],
  ['replicas', { role: 'replicas', connections: [conn('r1'), conn('r2')] }],
]);

describe('targets', () => {
  it('resolves roles, connection names and all, without duplicates', () => {
    expect(resolveTargets([], bindings, 'primary').map((t) => t.connection.name)).toEqual(['p1']);
    expect(resolveTargets(['replicas'], bindings, 'primary').map((t) => t.connection.name)).toEqual(['r1', 'r2']);
    expect(resolveTargets(['r2', 'all'], bindings, 'primary').map((t) => t.connection.name)).toEqual([
      'r2',
      'p1',
      'r1',
    ]);
    expect(() => resolveTargets(['replica'], bindings, 'primary')).toThrow(/did you mean 'replicas'/);
  });
});

const run = (connection: string, rows: (string | null)[][], hash = JSON.stringify(rows)) =>
  selectRun(
    connection,
    [
      { name: 'id', type: 'int4', typeOid: 23 },
      { name: 'v', type: 'text', typeOid: 25 },
    ],
    rows,
    { hash, provenance: { host: '<h>', durationMs: 3 } },
  );

describe('comparing connections', () => {
  it('agrees when hashes match and marks rows that differ otherwise', () => {
    expect(compareRuns([run('a', [['1', 'x']]), run('b', [['1', 'x']])])?.agree).toBe(true);
    const c = compareRuns([
      run('a', [
        ['1', 'x'],
        ['2', 'y'],
      ]),
      run('b', [
        ['1', 'x'],
        ['2', 'z'],
      ]),
    ]);
    expect(c?.agree).toBe(false);
    expect(c?.differingRows).toEqual({ a: [1], b: [1] });
    expect(c?.summary).toMatch(/a: 1 row not on every other connection/);
  });
});

describe('rendering results as Markdown', () => {
  it('escapes every database value and shows NULL apart from the text NULL', () => {
    const hostile = '<img src=x onerror=alert(1)> | **bold** [link](javascript:x)\nnext';
    const md = renderResultMarkdown({
      version: 1,
      results: [
        run('p<1>', [
          ['1', hostile],
          ['2', null],
          ['3', 'NULL'],
        ]),
      ],
    });
    expect(md).not.toMatch(/<img/);
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt; \\| \\*\\*bold\\*\\* \\[link\\](javascript:x)↵ next');
    expect(md).toContain('| 2 | *NULL* |');
    expect(md).toContain('| 3 | NULL |');
    expect(md).toContain('**p&lt;1&gt;**');
  });

  it('marks differing rows side by side', () => {
    const a = run('a', [
      ['1', 'x'],
      ['2', 'y'],
    ]);
    const b = run('b', [
      ['1', 'x'],
      ['2', 'z'],
    ]);
    const payload = { version: 1 as const, results: [a, b], comparison: compareRuns([a, b])! };
    const md = renderResultMarkdown(payload);
    expect(md).toMatch(/^⚠️ results differ/);
    expect(md).toContain('| ≠ | 2 | y |');
    expect(md).toContain('|  | 1 | x |');
  });
});
