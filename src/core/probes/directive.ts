/** The cnprobe language: one directive a line, `NAME key=value ...`, `#` comments, quoted values. */
export interface DirectiveArg {
  key: string;
  value: string;
  column: number; // 1-based column of the key
  valueColumn: number;
  /** Set when the value is written `:name` unquoted: the runbook parameter `name` gives the value. */
  param?: string;
}

export interface Directive {
  name: string;
  line: number; // 1-based within the cell
  column: number;
  args: DirectiveArg[];
}

export interface DirectiveProblem {
  line: number;
  column: number;
  message: string;
}

export function parseDirectives(source: string): { directives: Directive[]; problems: DirectiveProblem[] } {
  const directives: Directive[] = [];
  const problems: DirectiveProblem[] = [];
  source.split('\n').forEach((text, index) => {
    const line = index + 1;
    try {
      const tokens = tokenize(text, line);
      const [head, ...rest] = tokens;
      if (!head) return;
      if (head.key !== undefined)
        throw problemAt(line, head.column, `expected a probe name first, found '${head.key}=${head.value}'`);
      directives.push({ name: head.value, line, column: head.column, args: rest.map((t) => toArg(t, line)) });
    } catch (error) {
      if (!(error instanceof DirectiveLineError)) throw error;
      problems.push({ line: error.line, column: error.column, message: error.message });
    }
  });
  return { directives, problems };
}

interface Token {
  key?: string;
  value: string;
  column: number;
  valueColumn: number;
  quoted?: boolean;
}

function tokenize(text: string, line: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
    if (i >= text.length || text[i] === '#') return tokens;
    const token: Token = { value: '', column: i + 1, valueColumn: i + 1 };
    while (i < text.length && !/\s/.test(text[i] ?? '')) {
      const ch = text[i] ?? '';
      if (ch === '=' && token.key === undefined) {
        token.key = token.value;
        token.value = '';
        token.valueColumn = i + 2;
        i++;
      } else if (ch === '"' || ch === "'") {
        const [quoted, end] = readQuoted(text, i, line);
        token.value += quoted;
        token.quoted = true;
        i = end;
      } else {
        token.value += ch;
        i++;
      }
    }
    tokens.push(token);
  }
}

function readQuoted(text: string, start: number, line: number): [string, number] {
  const quote = text[start];
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && quote === '"' && i + 1 < text.length) value += text[++i];
    else if (ch === quote) return [value, i + 1];
    else value += ch;
  }
  throw problemAt(line, start + 1, `unclosed ${quote === '"' ? 'double' : 'single'} quote`);
}

function toArg(token: Token, line: number): DirectiveArg {
  if (token.key === undefined) throw problemAt(line, token.column, `expected key=value, found '${token.value}'`);
  if (!/^[a-z][a-z0-9-]*$/.test(token.key))
    throw problemAt(line, token.column, `'${token.key}' is not a valid key (lowercase letters, digits and -)`);
  const arg: DirectiveArg = {
    key: token.key,
    value: token.value,
    column: token.column,
    valueColumn: token.valueColumn,
  };
  const param = token.quoted ? undefined : /^:([A-Za-z_][A-Za-z_0-9]*)$/.exec(token.value)?.[1];
  if (param) arg.param = param;
  return arg;
}

/** A problem found while reading a line: thrown to leave the line, caught and listed by parseDirectives. */
class DirectiveLineError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(message);
  }
}

function problemAt(line: number, column: number, message: string): DirectiveLineError {
  return new DirectiveLineError(line, column, message);
}
