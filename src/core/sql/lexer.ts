/**
 * A small SQL scanner that knows where strings, quoted identifiers, dollar quotes and comments are,
 * so that cells can be split into statements and `:name` parameters found without touching literals.
 */
import { quoteIdentifier, quoteLiteral } from './quote';

export interface Statement {
  /** The statement's text, without the terminating semicolon. */
  text: string;
  /** Offset of the statement's first character in the cell source (for error positions). */
  offset: number;
}

/** `code` is SQL text, `skip` a literal or comment, `variable` a psql-style `:'name'` or `:"name"`. */
export type Visit = (kind: 'code' | 'skip' | 'variable', start: number, end: number) => void;

/** Walks the source, reporting code runs, runs to skip (literals, comments) and quoted variables. */
export function scan(source: string, visit: Visit): void {
  let i = 0;
  let codeStart = 0;
  const emit = (kind: 'skip' | 'variable', start: number, end: number) => {
    if (start > codeStart) visit('code', codeStart, start);
    visit(kind, start, end);
    codeStart = i = end;
  };
  const skip = (start: number, end: number) => emit('skip', start, end);
  while (i < source.length) {
    const rest = source.startsWith.bind(source);
    const variable = source[i] === ':' ? quotedVariableAt(source, i) : undefined;
    if (variable) emit('variable', i, i + variable.length);
    else if (rest('--', i)) skip(i, lineEnd(source, i));
    else if (rest('/*', i)) skip(i, blockCommentEnd(source, i));
    else if (source[i] === "'") skip(i, quoteEnd(source, i, "'", isEscapeString(source, i)));
    else if (source[i] === '"') skip(i, quoteEnd(source, i, '"', false));
    else if (source[i] === '$' && dollarTag(source, i)) skip(i, dollarEnd(source, i));
    else i++;
  }
  if (codeStart < source.length) visit('code', codeStart, source.length);
}

/** `:'name'` or `:"name"` at i, not after a `:` (so `'x'::"MyType"` stays a cast). */
function quotedVariableAt(s: string, i: number): string | undefined {
  if (s[i - 1] === ':') return undefined;
  return /^:(?:'[A-Za-z_][A-Za-z_0-9]*'|"[A-Za-z_][A-Za-z_0-9]*")/.exec(s.slice(i, i + 130))?.[0];
}

function lineEnd(s: string, i: number): number {
  const nl = s.indexOf('\n', i);
  return nl === -1 ? s.length : nl;
}

function blockCommentEnd(s: string, i: number): number {
  let depth = 0;
  while (i < s.length) {
    if (s.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (s.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return s.length;
}

function isEscapeString(s: string, i: number): boolean {
  return i > 0 && /[eE]/.test(s[i - 1] ?? '') && !/[\w$]/.test(s[i - 2] ?? '');
}

function quoteEnd(s: string, i: number, quote: string, backslashEscapes: boolean): number {
  i++;
  while (i < s.length) {
    if (backslashEscapes && s[i] === '\\') i += 2;
    else if (s[i] === quote && s[i + 1] === quote) i += 2;
    else if (s[i] === quote) return i + 1;
    else i++;
  }
  return s.length;
}

function dollarTag(s: string, i: number): string | undefined {
  // A $ preceded by an identifier character is part of a name ($1 params, x$y identifiers).
  if (i > 0 && /[\w$]/.test(s[i - 1] ?? '')) return undefined;
  return /^\$([A-Za-z_][A-Za-z_0-9]*)?\$/.exec(s.slice(i, i + 64))?.[0];
}

function dollarEnd(s: string, i: number): number {
  const tag = dollarTag(s, i) ?? '$$';
  const close = s.indexOf(tag, i + tag.length);
  return close === -1 ? s.length : close + tag.length;
}

/** Splits a cell into statements at top-level semicolons; empty statements (only comments/space) are dropped. */
export function splitStatements(source: string): Statement[] {
  const cuts: number[] = [];
  scan(source, (kind, start, end) => {
    if (kind !== 'code') return;
    for (let i = start; i < end; i++) if (source[i] === ';') cuts.push(i);
  });
  const statements: Statement[] = [];
  let start = 0;
  for (const cut of [...cuts, source.length]) {
    const text = source.slice(start, cut);
    if (hasCode(text)) {
      const lead = text.length - text.trimStart().length;
      statements.push({ text: text.trim(), offset: start + lead });
    }
    start = cut + 1;
  }
  return statements;
}

function hasCode(text: string): boolean {
  let found = false;
  scan(text, (kind, start, end) => {
    if (kind !== 'skip' && text.slice(start, end).trim() !== '') found = true;
  });
  return found;
}

/** How a parameter is written in SQL: `:name` bound as a value, `:'name'` a literal, `:"name"` an identifier. */
export type ParameterForm = 'value' | 'literal' | 'identifier';

export interface ParameterUse {
  name: string;
  form: ParameterForm;
  /** Offset of the `:` in the source. */
  offset: number;
}

const PLAIN_PARAMETER = /(^|[^:]):([A-Za-z_][A-Za-z_0-9]*)/g;

/**
 * Every parameter written in the SQL outside literals and comments, in order. A plain `:name` counts only
 * when `isDeclared(name)`: undeclared it is SQL (an array slice `a[1:n]`), left alone.
 */
export function parameterUses(sql: string, isDeclared: (name: string) => boolean): ParameterUse[] {
  const uses: ParameterUse[] = [];
  scan(sql, (kind, start, end) => {
    if (kind === 'variable') {
      const form = sql[start + 1] === "'" ? 'literal' : 'identifier';
      uses.push({ name: sql.slice(start + 2, end - 1), form, offset: start });
    } else if (kind === 'code') {
      for (const match of sql.slice(start, end).matchAll(PLAIN_PARAMETER)) {
        const name = match[2] ?? '';
        const offset = start + (match.index ?? 0) + (match[1] ?? '').length;
        if (isDeclared(name)) uses.push({ name, form: 'value', offset });
      }
    }
  });
  return uses;
}

/** A `:'name'` or `:"name"` whose parameter has no value: the SQL cannot be written. */
export class UnsetParameterError extends Error {
  constructor(readonly parameter: string) {
    super(`parameter '${parameter}' has no value; declare it under params: in the front matter and give it one`);
  }
}

/**
 * Replaces `:name` (for names in `params`) with `$n` bind parameters, and writes `:'name'` as a quoted
 * literal and `:"name"` as a quoted identifier (see quote.ts), outside literals and comments. Casts
 * (`::type`) are left alone. Plain `:name` values are sent as parameters, never spliced into SQL.
 */
export function bindParameters(sql: string, params: Record<string, string>): { text: string; values: string[] } {
  const values: string[] = [];
  const numbers = new Map<string, number>();
  let text = '';
  scan(sql, (kind, start, end) => {
    const chunk = sql.slice(start, end);
    if (kind === 'skip') text += chunk;
    else if (kind === 'variable') text += spliced(chunk, params, /[\w$]$/.test(text));
    else
      text += chunk.replace(PLAIN_PARAMETER, (match, before: string, name: string) => {
        if (!(name in params)) return match;
        if (!numbers.has(name)) {
          values.push(params[name] ?? '');
          numbers.set(name, values.length);
        }
        return `${before}$${numbers.get(name)}`;
      });
  });
  return { text, values };
}

function spliced(variable: string, params: Record<string, string>, afterWord: boolean): string {
  const name = variable.slice(2, -1);
  const value = params[name];
  if (value === undefined) throw new UnsetParameterError(name);
  const quoted = variable[1] === "'" ? quoteLiteral(value) : quoteIdentifier(value);
  // `x:'v'` must not become `xE'v'`: a space keeps the quoted text a token of its own.
  return afterWord ? ` ${quoted}` : quoted;
}
