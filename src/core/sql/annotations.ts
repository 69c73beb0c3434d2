import { parseDuration } from '../util/duration';
import { didYouMean } from '../util/suggest';

/** What the `-- @...` comment lines of a SQL cell ask for. */
export interface SqlAnnotations {
  /** Roles or connection names (or `all`) the cell runs on; empty means the runbook's default role. */
  on: string[];
  write: boolean;
  timeoutMs?: number;
  expect?: Expectation;
  /** What an `@expect` checks, in words (`-- @check "stored totals equal the items"`): its findings name it. */
  check?: string;
}

export type Comparison = '=' | '<' | '>' | '<=' | '>=' | '!=';
export type Expectation =
  | { kind: 'empty' }
  | { kind: 'rows'; op: Comparison; value: number }
  | { kind: 'value'; op: Comparison; value: number };

export interface AnnotationProblem {
  line: number; // 1-based, within the cell
  column: number; // 1-based
  message: string;
}

const NAMES = ['on', 'write', 'timeout', 'expect', 'check'];
const ANNOTATION = /^(\s*--\s*)@([A-Za-z-]*)(.*)$/;

export function parseAnnotations(source: string): { annotations: SqlAnnotations; problems: AnnotationProblem[] } {
  const annotations: SqlAnnotations = { on: [], write: false };
  const problems: AnnotationProblem[] = [];
  source.split('\n').forEach((text, index) => {
    const match = ANNOTATION.exec(text);
    if (!match) return;
    const [, lead = '', name = '', rest = ''] = match;
    const problem = applyAnnotation(annotations, name, rest.trim());
    if (problem) {
      const column = problem.onArgument
        ? lead.length + 2 + name.length + (rest.length - rest.trimStart().length)
        : lead.length + 1;
      problems.push({ line: index + 1, column, message: problem.message });
    }
  });
  return { annotations, problems };
}

interface Problem {
  message: string;
  onArgument?: boolean;
}

function applyAnnotation(into: SqlAnnotations, name: string, args: string): Problem | undefined {
  switch (name) {
    case 'on': {
      const targets = args.split(/[\s,]+/).filter(Boolean);
      if (targets.length === 0)
        return { message: '@on needs a role or connection name, e.g. -- @on primary', onArgument: true };
      into.on.push(...targets);
      return undefined;
    }
    case 'write':
      if (args) return { message: `@write takes no argument, found '${args}'`, onArgument: true };
      into.write = true;
      return undefined;
    case 'timeout': {
      const ms = parseDuration(args);
      if (ms === undefined || ms <= 0)
        return { message: `@timeout needs a duration like 500ms, 5s or 2m, found '${args}'`, onArgument: true };
      into.timeoutMs = ms;
      return undefined;
    }
    case 'expect': {
      const expectation = parseExpectation(args);
      if (!expectation)
        return {
          message: `@expect needs 'empty', 'rows OP N' or 'value OP X' (OP one of = != < > <= >=), found '${args}'`,
          onArgument: true,
        };
      into.expect = expectation;
      return undefined;
    }
    case 'check': {
      const label = /^"(.+)"$/.exec(args)?.[1] ?? args;
      if (!label.trim()) return { message: '@check needs what the check shows, e.g. -- @check "no orphaned items"' };
      into.check = label.trim();
      return undefined;
    }
    default:
      return {
        message: `unknown annotation '@${name}'${didYouMean(name, NAMES)}; known: ${NAMES.map((n) => '@' + n).join(', ')}`,
      };
  }
}

function parseExpectation(args: string): Expectation | undefined {
  if (args === 'empty') return { kind: 'empty' };
  const match = /^(rows|value)\s*(<=|>=|!=|<>|=|<|>)\s*(-?\d+(?:\.\d+)?)$/.exec(args);
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  const op = (match[2] === '<>' ? '!=' : match[2]) as Comparison;
  return { kind: match[1] as 'rows' | 'value', op, value: Number(match[3]) };
}
