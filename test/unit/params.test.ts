import { describe, expect, it } from 'vitest';
import { parseNotebook } from '../../src/core/format';
import { checkProbeCell } from '../../src/core/probes/execute';
import { cellParams, cellParamUses, paramValueProblem, runParamProblems } from '../../src/core/run/params';
import { runbookInfo, settleParams } from '../../src/core/run/runbookInfo';
import { bindParameters, splitStatements, UnsetParameterError } from '../../src/core/sql/lexer';
import { ParameterValueError, quoteIdentifier, quoteLiteral } from '../../src/core/sql/quote';

const HOSTILE = [
  "x'; DROP TABLE orders; --",
  "\\'; DROP TABLE orders; --",
  'a\\',
  '"; DROP TABLE orders; --',
  "'' OR 1=1",
  '$$; DROP TABLE orders; $$',
  '/* */; SELECT 1 --',
  "E'\\x27'",
  'ä\u2028😀',
];

/** The statements and literal/identifier tokens the lexer sees: a value that escaped would add some. */
function tokensOf(sql: string): string[] {
  return splitStatements(sql).map((s) => s.text);
}

describe('psql-style :\'name\' and :"name"', () => {
  it('writes a literal and an identifier, and binds a plain :name', () => {
    const { text, values } = bindParameters(`SELECT :'who' AS w, count(*) FROM :"table" WHERE id = :id`, {
      who: "O'Brien",
      table: 'shop.Orders',
      id: '7',
    });
    expect(text).toBe(`SELECT 'O''Brien' AS w, count(*) FROM "shop"."Orders" WHERE id = $1`);
    expect(values).toEqual(['7']);
  });

  it('leaves casts to quoted types, literals and comments alone', () => {
    const sql = `SELECT 'x'::"MyType", ':''a''' , ":'b'" -- :'c'\n/* :"d" */`;
    expect(bindParameters(sql, { a: '1', b: '2', c: '3', d: '4' }).text).toBe(sql);
  });

  it('keeps a quoted value its own token after a word', () => {
    expect(bindParameters(`SELECT x:'v'`, { v: 'a\\b' }).text).toBe(`SELECT x E'a\\\\b'`);
  });

  it('refuses a quoted variable with no value, rather than sending it to the server', () => {
    expect(() => bindParameters(`SELECT :'nope'`, {})).toThrow(UnsetParameterError);
  });

  it.each(HOSTILE)('a hostile literal stays one literal in one statement: %s', (value) => {
    const { text } = bindParameters(`SELECT :'v' AS v; SELECT 2`, { v: value });
    expect(tokensOf(text)).toEqual([`SELECT ${quoteLiteral(value)} AS v`, 'SELECT 2']);
    // Read back with PostgreSQL's rules for the form written: the value, exactly.
    expect(readLiteral(quoteLiteral(value))).toBe(value);
  });

  it.each(HOSTILE)('a hostile identifier stays quoted names in one statement: %s', (value) => {
    const part = value.replace(/\./g, '');
    const { text } = bindParameters(`SELECT * FROM :"t"; SELECT 2`, { t: part });
    expect(tokensOf(text)).toEqual([`SELECT * FROM ${quoteIdentifier(part)}`, 'SELECT 2']);
    expect(quoteIdentifier(part)).toBe(`"${part.replace(/"/g, '""')}"`);
  });

  it('quotes a qualified name part by part and refuses what is not a name', () => {
    expect(quoteIdentifier('shop.orders')).toBe('"shop"."orders"');
    expect(quoteIdentifier('db.shop.orders')).toBe('"db"."shop"."orders"');
    for (const bad of ['', 'a..b', '.a', 'a.b.c.d', 'a\u0000b', 'x'.repeat(64)])
      expect(() => quoteIdentifier(bad), bad).toThrow(ParameterValueError);
    expect(() => quoteLiteral('a\u0000')).toThrow(ParameterValueError);
  });
});

/** A literal as PostgreSQL reads it: '' is a quote; in E'…' a backslash escapes the next character. */
function readLiteral(literal: string): string {
  const escape = literal.startsWith('E');
  const body = literal.slice(escape ? 2 : 1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] ?? '';
    if (escape && ch === '\\') out += body[++i] ?? '';
    else if (ch === "'") {
      expect(body[i + 1], `a lone quote in ${literal}`).toBe("'");
      out += "'";
      i++;
    } else out += ch;
  }
  return out;
}

const RUNBOOK = `---
cnbook: 1
params:
  table: null
  schema: shop
  since: null
  order_id: null
  lag: null
---
# Params

\`\`\`sql
SELECT count(*) FROM :"table" WHERE created > :since
\`\`\`

\`\`\`sql
SELECT a[1:n], :order_id FROM t WHERE s = :'schema'
\`\`\`

\`\`\`cnprobe
table-drift table=:table key=id source=primary target=target
replication-lag on=replicas warn=:lag
\`\`\`

\`\`\`sql
SELECT 1
\`\`\`
`;

describe('which parameters a cell needs', () => {
  const notebook = parseNotebook(RUNBOOK);
  const info = runbookInfo(notebook);
  const cell = (i: number) => notebook.cells.filter((c) => c.kind === 'code')[i]!;

  it('finds every form, in order, and plain :name only when declared', () => {
    expect(cellParamUses('sql', cell(0).source, info.params).map((u) => `${u.name} ${u.form} ${u.line}`)).toEqual([
      'table identifier 1',
      'since value 1',
    ]);
    expect(cellParamUses('sql', cell(1).source, info.params).map((u) => `${u.name} ${u.form}`)).toEqual([
      'order_id value',
      'schema literal',
    ]);
    const probe = cellParamUses('cnprobe', cell(2).source, info.params);
    expect(probe.map((u) => `${u.name} ${u.probe?.name} ${u.probe?.key} ${u.probe?.spec.type}`)).toEqual([
      'table table-drift table identifier',
      'lag replication-lag warn duration',
    ]);
    expect(probe[0]?.lineText).toBe('table-drift table=:table key=id source=primary target=target');
  });

  it('asks only for what the cell uses and has no value', () => {
    const missing = (i: number, given = {}) =>
      cellParams(info, given, cell(i).language, cell(i).source).missing.map((u) => u.name);
    expect(missing(0)).toEqual(['table', 'since']);
    expect(missing(0, { table: 'orders' })).toEqual(['since']);
    expect(missing(1)).toEqual(['order_id']);
    expect(missing(3)).toEqual([]);
    expect(cellParams(info, {}, 'sql', cell(1).source).values).toEqual({ schema: 'shop' });
  });

  it('names a quoted or probe parameter that is not declared', () => {
    const undeclared = cellParams(info, {}, 'sql', `SELECT :'nope', :"gone", :plain`).undeclared;
    expect(undeclared.map((u) => u.name)).toEqual(['nope', 'gone']);
  });

  it("checks a value against every use: a table name, a probe key's type", () => {
    const uses = [
      ...cellParamUses('sql', cell(0).source, info.params),
      ...cellParamUses('cnprobe', cell(2).source, info.params),
    ];
    const of = (name: string) => uses.filter((u) => u.name === name);
    expect(paramValueProblem(of('table'), 'orders')).toBeUndefined();
    expect(paramValueProblem(of('table'), 'shop.orders')).toBeUndefined();
    expect(paramValueProblem(of('table'), 'a..b')).toMatch(/empty part.*line 1 uses it as a table/);
    expect(paramValueProblem(of('table'), 'orders; drop')).toMatch(/table-drift table: expected a table name/);
    expect(paramValueProblem(of('lag'), '5s')).toBeUndefined();
    expect(paramValueProblem(of('lag'), 'soon')).toMatch(/replication-lag warn: expected a duration/);
    expect(paramValueProblem(of('since'), "anything ' goes")).toBeUndefined();
  });

  it('the CLI: every problem, by file, cell and line, naming --param, before anything runs', () => {
    expect(runParamProblems('rb.cnbook', notebook, info, { table: 'orders', lag: 'soon' })).toEqual([
      'rb.cnbook:13: cell 2 uses :since, which has no default; give --param since=VALUE',
      'rb.cnbook:17: cell 3 uses :order_id, which has no default; give --param order_id=VALUE',
      "rb.cnbook:22: cell 4: parameter lag: replication-lag warn: expected a duration like 500ms, 5s or 2m, found 'soon'",
    ]);
    expect(
      runParamProblems('rb.cnbook', notebook, info, { table: 'orders', since: 'x', order_id: '1', lag: '1s' }),
    ).toEqual([]);
  });

  it('settles defaults and given values, leaving out those with neither; refuses an undeclared one', () => {
    expect(settleParams(info, { table: 'orders' })).toEqual({ table: 'orders', schema: 'shop' });
    expect(() => settleParams(info, { tabel: 'orders' })).toThrow(/'tabel' is not declared/);
  });
});

describe('parameters in probe directives', () => {
  const cell = 'table-drift table=:table key=id source=primary target=target';

  it("substitutes the value before the probe's types check it", () => {
    const { directives, problems, pending } = checkProbeCell(cell, undefined, { table: 'shop.orders' });
    expect(problems).toEqual([]);
    expect(pending).toEqual([]);
    expect(directives[0]?.args.table).toBe('shop.orders');
    expect(checkProbeCell(cell, undefined, { table: 'x;y' }).problems[0]?.message).toMatch(/expected a table name/);
  });

  it('holds a directive whose parameter has no value, and names one not declared', () => {
    const held = checkProbeCell(cell, undefined, { table: null });
    expect(held.problems).toEqual([]);
    expect(held.directives).toEqual([]);
    expect(held.pending[0]?.message).toBe('table=:table: the parameter table has no value');
    expect(checkProbeCell(cell, undefined, {}).problems[0]?.message).toBe(
      ':table is not declared under params: in the front matter',
    );
  });

  it('takes a quoted ":table" as the text it is, not a parameter', () => {
    const { problems } = checkProbeCell(
      'table-drift table=":table" key=id source=primary target=target',
      undefined,
      {},
    );
    expect(problems[0]?.message).toMatch(/expected a table name like orders/);
  });
});
