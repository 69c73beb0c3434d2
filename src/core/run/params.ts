import type { Notebook } from '../format/model';
import { PROBE_CATALOG } from '../probes/catalog';
import { parseDirectives } from '../probes/directive';
import type { ParamSpec } from '../probes/types';
import { convertArg } from '../probes/validate';
import { parameterUses } from '../sql/lexer';
import { identifierParts, ParameterValueError } from '../sql/quote';
import type { RunbookInfo } from './runbookInfo';

/**
 * Where a cell uses a runbook parameter: `:name` bound as a value, `:'name'` a literal, `:"name"` an
 * identifier (SQL), or `key=:name` an argument of a probe directive (its type in `spec`).
 */
export interface ParamUse {
  name: string;
  form: 'value' | 'literal' | 'identifier' | 'probe';
  /** 1-based line within the cell, and that line's text (what the user is shown when asked). */
  line: number;
  lineText: string;
  /** For a probe argument: the probe, the key and what the key takes. */
  probe?: { name: string; key: string; spec: ParamSpec };
}

/** The parameters a cell uses, in order. A plain `:name` counts only when declared (else it is SQL, e.g. `a[1:n]`). */
export function cellParamUses(language: string, source: string, declared: Record<string, unknown>): ParamUse[] {
  const lines = source.split('\n');
  const at = (line: number) => ({ line, lineText: (lines[line - 1] ?? '').trim() });
  if (language === 'sql') {
    return parameterUses(source, (name) => name in declared).map((u) => ({
      name: u.name,
      form: u.form,
      ...at(source.slice(0, u.offset).split('\n').length),
    }));
  }
  if (language !== 'cnprobe') return [];
  return parseDirectives(source).directives.flatMap((d) =>
    d.args.flatMap((arg) => {
      const spec = PROBE_CATALOG.get(d.name)?.params[arg.key];
      if (!arg.param) return [];
      const probe = spec ? { probe: { name: d.name, key: arg.key, spec } } : {};
      return [{ name: arg.param, form: 'probe' as const, ...at(d.line), ...probe }];
    }),
  );
}

/** What a cell's parameters come to: the values it can run with, and the first use of each name it lacks. */
export interface CellParams {
  values: Record<string, string>;
  /** Declared without a default and not given: VS Code asks, the CLI says `--param name=…`. */
  missing: ParamUse[];
  /** Used in a quoted form or a probe argument but not declared under `params:`. */
  undeclared: ParamUse[];
}

export function cellParams(
  info: RunbookInfo,
  given: Record<string, string>,
  language: string,
  source: string,
): CellParams {
  const values: Record<string, string> = {};
  for (const [name, def] of Object.entries(info.params)) {
    const value = given[name] ?? def;
    if (value !== null) values[name] = value;
  }
  const uses = cellParamUses(language, source, info.params);
  const firstOf = (wanted: (u: ParamUse) => boolean) =>
    uses.filter((u, i) => wanted(u) && uses.findIndex((v) => v.name === u.name) === i);
  return {
    values,
    missing: firstOf((u) => u.name in info.params && !(u.name in values)),
    undeclared: firstOf((u) => !(u.name in info.params)),
  };
}

/** Why `value` cannot stand for every use of the parameter in the cell, or undefined when it can. */
export function paramValueProblem(uses: readonly ParamUse[], value: string): string | undefined {
  if (value.includes('\u0000')) return 'a value cannot contain a NUL character';
  for (const use of uses) {
    if (use.form === 'identifier') {
      try {
        identifierParts(value);
      } catch (error) {
        if (!(error instanceof ParameterValueError)) throw error;
        return `${error.message} (line ${use.line} uses it as a table or column name)`;
      }
    }
    if (use.probe) {
      const converted = convertArg(value, use.probe.spec);
      if (typeof converted === 'object' && converted !== null && 'error' in converted)
        return `${use.probe.name} ${use.probe.key}: ${converted.error}`;
    }
  }
  return undefined;
}

/**
 * Every parameter problem of a whole run, before anything runs (the CLI): a parameter a cell uses with no
 * value, one used but not declared, a given value a use cannot take. Each message names the file and cell.
 */
export function runParamProblems(
  file: string,
  notebook: Notebook,
  info: RunbookInfo,
  given: Record<string, string>,
): string[] {
  const problems: string[] = [];
  notebook.cells.forEach((cell, index) => {
    if (cell.kind !== 'code') return;
    // file:line as editors and `cnbook check` write it; the cell counted as the CLI's per-cell lines count it.
    const where = (use: ParamUse) => `${file}:${(cell.layout?.sourceLine ?? 1) - 1 + use.line}: cell ${index + 1}`;
    const { values, missing, undeclared } = cellParams(info, given, cell.language, cell.source);
    for (const use of missing)
      problems.push(`${where(use)} uses :${use.name}, which has no default; give --param ${use.name}=VALUE`);
    for (const use of undeclared)
      problems.push(`${where(use)} uses :${use.name}, which is not declared under params: in the front matter`);
    const uses = cellParamUses(cell.language, cell.source, info.params);
    for (const name of new Set(uses.map((u) => u.name))) {
      const value = values[name];
      const usesOfName = uses.filter((u) => u.name === name);
      const problem = value === undefined ? undefined : paramValueProblem(usesOfName, value);
      if (problem && usesOfName[0]) problems.push(`${where(usesOfName[0])}: parameter ${name}: ${problem}`);
    }
  });
  return problems;
}
