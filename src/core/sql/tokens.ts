/**
 * SQL text as tokens, for rules that must read what the server will read: keywords and names (quoted ones
 * decoded, `U&"..."` included), string contents, and punctuation. Comments are dropped.
 */
import { scan } from './lexer';

export type TokenKind = 'word' | 'name' | 'string' | 'punct' | 'param' | 'number';

export interface Token {
  kind: TokenKind;
  /** A word lowercased (as PostgreSQL folds it), a quoted name or a string's content as written. */
  value: string;
  offset: number;
}

const CODE_TOKEN = /([A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)|(\$\d+)|(\d[\d.eE]*)|(\S)/g;

export function sqlTokens(sql: string): Token[] {
  const tokens: Token[] = [];
  scan(sql, (kind, start, end) => {
    if (kind === 'code') pushCodeTokens(sql.slice(start, end), start, tokens);
    else if (kind === 'skip') pushQuoted(sql.slice(start, end), start, tokens);
    else tokens.push({ kind: 'param', value: sql.slice(start, end), offset: start });
  });
  return mergeUnicodeNames(tokens);
}

function pushCodeTokens(code: string, base: number, into: Token[]): void {
  for (const m of code.matchAll(CODE_TOKEN)) {
    const offset = base + (m.index ?? 0);
    if (m[1]) into.push({ kind: 'word', value: m[1].toLowerCase(), offset });
    else if (m[2]) into.push({ kind: 'param', value: m[2], offset });
    else if (m[3]) into.push({ kind: 'number', value: m[3], offset });
    else into.push({ kind: 'punct', value: m[4] ?? '', offset });
  }
}

function pushQuoted(text: string, offset: number, into: Token[]): void {
  if (text.startsWith('--') || text.startsWith('/*')) return;
  if (text.startsWith('"')) into.push({ kind: 'name', value: text.slice(1, -1).replace(/""/g, '"'), offset });
  else if (text.startsWith("'")) into.push({ kind: 'string', value: text.slice(1, -1).replace(/''/g, "'"), offset });
  else into.push({ kind: 'string', value: text.replace(/^\$[^$]*\$|\$[^$]*\$$/g, ''), offset });
}

/** `U&"d\0061ta"` is the name `data`: the word `u`, `&` and a quoted name become one name token. */
function mergeUnicodeNames(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const [t, amp, quoted] = [tokens[i]!, tokens[i + 1], tokens[i + 2]];
    const adjacent = amp?.offset === t.offset + 1 && quoted?.offset === t.offset + 2;
    if (t.kind === 'word' && t.value === 'u' && amp?.value === '&' && quoted && adjacent) {
      const escape = uescapeOf(tokens, i + 3) ?? '\\';
      out.push({ ...quoted, value: decodeUnicodeEscapes(quoted.value, escape), offset: t.offset });
      i += 2;
    } else out.push(t);
  }
  return out;
}

function uescapeOf(tokens: Token[], i: number): string | undefined {
  const [word, value] = [tokens[i], tokens[i + 1]];
  return word?.kind === 'word' && word.value === 'uescape' && value?.kind === 'string' ? value.value : undefined;
}

function decodeUnicodeEscapes(text: string, escape: string): string {
  const e = escape.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`${e}(?:${e}|\\+([0-9A-Fa-f]{6})|([0-9A-Fa-f]{4}))`, 'g');
  return text.replace(pattern, (match, six?: string, four?: string) => {
    const hex = six ?? four;
    return hex ? String.fromCodePoint(parseInt(hex, 16)) : escape;
  });
}
