import type { Notebook } from '../format/model';
import { redactSecrets } from '../connections/redact';
import { checkProbeCell } from '../probes/execute';
import { parseAnnotations } from '../sql/annotations';
import { splitStatements } from '../sql/lexer';
import { readOnlyViolations } from '../sql/readOnlyGuard';
import { didYouMean } from '../util/suggest';
import { cellParams } from './params';
import { runbookInfo } from './runbookInfo';

/** A mistake in a runbook, at a line of its file (1-based) and, when known, a column. */
export interface RunbookProblem {
  line: number;
  column?: number;
  message: string;
}

/**
 * What `cnbook check` finds in a parsed runbook without running it: a cell that holds a secret, a SQL
 * `:name` not declared under `params:`, probe directives and SQL annotations that do not parse, and `@on`
 * names that are not roles it declares. `pgpassFile` is the pgpass file as messages name it (pgpassFileLabel).
 */
export function checkRunbook(notebook: Notebook, pgpassFile = '~/.pgpass'): RunbookProblem[] {
  const problems: RunbookProblem[] = [];
  for (const cell of notebook.cells) {
    if (redactSecrets(cell.source) !== cell.source)
      problems.push({
        line: cell.layout?.sourceLine ?? 1,
        message:
          'this cell holds what looks like a password; runbooks are shared records, ' +
          `put it in ${pgpassFile} or PGPASSWORD`,
      });
  }
  const info = runbookInfo(notebook);
  const declared = info.declaredRoles;
  for (const cell of notebook.cells) {
    if (cell.kind !== 'code') continue;
    const base = (cell.layout?.sourceLine ?? 1) - 1;
    if (cell.language === 'sql')
      for (const use of cellParams(info, {}, cell.language, cell.source).undeclared)
        problems.push({
          line: base + use.line,
          message: `:${use.name} is not declared under params: in the front matter`,
        });
    if (cell.language === 'cnprobe') {
      for (const p of checkProbeCell(cell.source, undefined, info.params).problems)
        problems.push({ line: base + p.line, column: p.column, message: p.message });
      continue;
    }
    if (cell.language !== 'sql') continue;
    const { annotations, problems: found } = parseAnnotations(cell.source);
    for (const p of found) problems.push({ line: base + p.line, column: p.column, message: p.message });
    if (declared) problems.push(...undeclaredRoles(cell.source, annotations.on, declared, base));
    if (!annotations.write) problems.push(...readOnlyProblems(cell.source, base));
  }
  return problems;
}

/** What a run would refuse in a read-only cell, found before any incident needs the cell. */
function readOnlyProblems(source: string, base: number): RunbookProblem[] {
  const statements = splitStatements(source).map((s) => ({ text: s.text, values: [], offset: s.offset }));
  return readOnlyViolations(source, statements).map((v) => ({
    line: base + v.line,
    column: v.column,
    message: `${v.what} ${v.reason}; a read-only cell refuses it (a cell that must do this says -- @write)`,
  }));
}

function undeclaredRoles(source: string, names: string[], declared: string[], base: number): RunbookProblem[] {
  return names
    .filter((name) => name !== 'all' && !declared.includes(name))
    .map((name) => {
      const line = source.split('\n').findIndex((l) => /--\s*@on\b/.test(l) && l.includes(name));
      return {
        line: base + line + 1,
        message: `'${name}' is not a role of this runbook (roles: ${declared.join(', ')})${didYouMean(name, declared)}`,
      };
    });
}

/** `FILE:LINE[:COLUMN]: message`, the way compilers print it, so editors can jump there. */
export function formatRunbookProblem(file: string, problem: RunbookProblem): string {
  return `${file}:${problem.line}${problem.column === undefined ? '' : `:${problem.column}`}: ${problem.message}`;
}
