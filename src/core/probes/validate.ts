import { parseDuration } from '../util/duration';
import { didYouMean } from '../util/suggest';
import type { Directive, DirectiveProblem } from './directive';
import type { ArgValue, ParamSpec, ProbeArgs, ProbeDefinition } from './types';

export interface ValidDirective {
  probe: ProbeDefinition;
  args: ProbeArgs;
  line: number;
  /** Column of each given key's value, for errors found later (a role the profile lacks). */
  columns: Record<string, number>;
}

/** Checks a directive against the catalog: known probe, known keys, well-formed values, required keys. */
export function validateDirective(
  directive: Directive,
  catalog: ReadonlyMap<string, ProbeDefinition>,
  /** Keys given as a runbook parameter that has no value yet: present, but not checked. */
  pendingKeys: ReadonlySet<string> = new Set(),
): { valid?: ValidDirective; problems: DirectiveProblem[] } {
  const probe = catalog.get(directive.name);
  if (!probe) {
    const names = [...catalog.keys()];
    return {
      problems: [
        {
          line: directive.line,
          column: directive.column,
          message: `unknown probe '${directive.name}'${didYouMean(directive.name, names)}`,
        },
      ],
    };
  }
  const problems: DirectiveProblem[] = [];
  const args: ProbeArgs = {};
  const keys = Object.keys(probe.params);
  const given = new Set(directive.args.map((a) => a.key));
  for (const arg of directive.args) {
    const spec = probe.params[arg.key];
    if (!spec) {
      problems.push({
        line: directive.line,
        column: arg.column,
        message: `${probe.name} has no key '${arg.key}'${didYouMean(arg.key, keys)}; keys: ${keys.join(', ')}`,
      });
      continue;
    }
    if (arg.key in args)
      problems.push({ line: directive.line, column: arg.column, message: `'${arg.key}' is given twice` });
    const value = convertArg(arg.value, spec);
    if (typeof value === 'object' && value !== null && 'error' in value) {
      problems.push({ line: directive.line, column: arg.valueColumn, message: `${arg.key}: ${value.error}` });
    } else args[arg.key] = value;
  }
  for (const [key, spec] of Object.entries(probe.params)) {
    if (key in args || given.has(key) || pendingKeys.has(key)) continue;
    if (spec.default !== undefined) {
      const value = convertArg(spec.default, spec);
      if (!(typeof value === 'object' && value !== null && 'error' in value)) args[key] = value;
    } else if (spec.required)
      problems.push({
        line: directive.line,
        column: directive.column,
        message: `${probe.name} needs ${key}=... (${spec.doc})`,
      });
  }
  const columns = Object.fromEntries(directive.args.map((a) => [a.key, a.valueColumn]));
  return problems.length > 0 ? { problems } : { valid: { probe, args, line: directive.line, columns }, problems };
}

/** A directive value read as its key's type, or why it cannot be (also checks a runbook parameter's value). */
export function convertArg(text: string, spec: ParamSpec): ArgValue | { error: string } {
  const list = () =>
    text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  switch (spec.type) {
    case 'duration': {
      const ms = parseDuration(text);
      return ms === undefined ? { error: `expected a duration like 500ms, 5s or 2m, found '${text}'` } : ms;
    }
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : { error: `expected a number, found '${text}'` };
    case 'bool':
      return ['yes', 'true', 'on'].includes(text)
        ? true
        : ['no', 'false', 'off'].includes(text)
          ? false
          : { error: `expected yes or no, found '${text}'` };
    case 'enum':
      return spec.values?.includes(text)
        ? text
        : {
            error: `expected one of ${spec.values?.join(', ')}, found '${text}'${didYouMean(text, spec.values ?? [])}`,
          };
    case 'roles':
    case 'list':
      return list().length > 0 ? list() : { error: 'expected one or more comma-separated names' };
    case 'identifier':
      return /^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)?$/.test(text)
        ? text
        : { error: `expected a table name like orders or shop.orders, found '${text}'` };
    case 'column': {
      const match = /^([A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?)\.([A-Za-z_][\w$]*)$/.exec(text);
      return match?.[1] && match[2]
        ? { table: match[1], column: match[2] }
        : { error: `expected table.column, found '${text}'` };
    }
    case 'string':
      return text;
  }
}
