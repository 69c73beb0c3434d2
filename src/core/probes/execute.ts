import { CellInputError } from '../sql/execute';
import { PROBE_CATALOG } from './catalog';
import { createProbeContext, ProbeContextOptions, unknownBecause } from './context';
import { Directive, DirectiveProblem, parseDirectives } from './directive';
import type { Finding, ProbeDefinition } from './types';
import { ValidDirective, validateDirective } from './validate';

/**
 * The runbook parameters a check knows: a value, or null for one declared without a value yet. Without
 * them (undefined) every `key=:name` argument is left unchecked.
 */
export type KnownParams = Readonly<Record<string, string | null>> | undefined;

export interface ProbeCellCheck {
  directives: ValidDirective[];
  problems: DirectiveProblem[];
  /** `key=:name` arguments whose parameter has no value: the cell cannot run until it has one. */
  pending: DirectiveProblem[];
}

/** Parses and validates a cnprobe cell without running it: for `cnbook check` and before a run. */
export function checkProbeCell(
  source: string,
  catalog: ReadonlyMap<string, ProbeDefinition> = PROBE_CATALOG,
  params?: KnownParams,
): ProbeCellCheck {
  const parsed = parseDirectives(source);
  const problems = [...parsed.problems];
  const pending: DirectiveProblem[] = [];
  const directives: ValidDirective[] = [];
  for (const directive of parsed.directives) {
    const given = withParams(directive, params, problems, pending);
    const result = validateDirective(given.directive, catalog, given.pendingKeys);
    problems.push(...result.problems);
    if (result.valid && given.pendingKeys.size === 0) directives.push(result.valid);
  }
  return { directives, problems: problems.sort((a, b) => a.line - b.line || a.column - b.column), pending };
}

/** The directive with `key=:name` arguments replaced by the parameters' values, so their types are checked. */
function withParams(
  directive: Directive,
  params: KnownParams,
  problems: DirectiveProblem[],
  pending: DirectiveProblem[],
): { directive: Directive; pendingKeys: Set<string> } {
  const pendingKeys = new Set<string>();
  const args = directive.args.flatMap((arg) => {
    if (!arg.param) return [arg];
    const value = params?.[arg.param];
    const at = { line: directive.line, column: arg.valueColumn };
    if (params && !(arg.param in params))
      problems.push({ ...at, message: `:${arg.param} is not declared under params: in the front matter` });
    else if (typeof value === 'string') return [{ ...arg, value }];
    else pending.push({ ...at, message: `${arg.key}=:${arg.param}: the parameter ${arg.param} has no value` });
    pendingKeys.add(arg.key);
    return [];
  });
  return { directive: { ...directive, args }, pendingKeys };
}

/**
 * The roles or connections a cnprobe cell would write to (markers), each once, in directive order: what a
 * run must ask permission for, by name. Empty for a cell that only reads (or does not validate).
 */
export function probeCellWriteRoles(source: string, params?: KnownParams): string[] {
  return [
    ...new Set(checkProbeCell(source, PROBE_CATALOG, params).directives.flatMap((d) => d.probe.writeRoles(d.args))),
  ];
}

/**
 * Whether every directive of the cell that writes asks for itself, naming what it will change (reconcile's
 * row counts): the run then asks nothing before it starts, so the user is asked once, with the facts.
 */
export function probeCellAsksBeforeWriting(source: string, params?: KnownParams): boolean {
  const writing = checkProbeCell(source, PROBE_CATALOG, params).directives.filter(
    (d) => d.probe.writeRoles(d.args).length > 0,
  );
  return writing.length > 0 && writing.every((d) => d.probe.asksBeforeWriting);
}

/** Whether any directive of the cell writes (so the run needs permission and a confirmation). */
export function probeCellWrites(source: string, params?: KnownParams): boolean {
  return probeCellWriteRoles(source, params).length > 0;
}

/** A role the profile does not map is an error at its place in the cell, before anything runs. */
function checkRoles(directive: ValidDirective, context: ReturnType<typeof createProbeContext>): void {
  for (const [key, spec] of Object.entries(directive.probe.params)) {
    const value = directive.args[key];
    if (spec.type !== 'roles' || !Array.isArray(value)) continue;
    try {
      context.targets(value);
    } catch (error) {
      throw new CellInputError(`${key}: ${(error as Error).message}`, directive.line, directive.columns[key] ?? 1);
    }
  }
}

/** Runs every directive of a cnprobe cell in order and gathers their findings. */
export async function executeProbeCell(
  source: string,
  options: ProbeContextOptions & { params?: Readonly<Record<string, string>> },
): Promise<Finding[]> {
  const { directives, problems, pending } = checkProbeCell(source, PROBE_CATALOG, options.params ?? {});
  const first = problems[0] ?? pending[0];
  if (first) throw new CellInputError(first.message, first.line, first.column);
  if (directives.length === 0)
    throw new CellInputError('the cell has no probe directive (e.g. replication-lag on=replicas)');
  const context = createProbeContext(options);
  directives.forEach((d) => checkRoles(d, context));
  const findings: Finding[] = [];
  for (const directive of directives) {
    if (options.signal?.aborted) break;
    try {
      findings.push(...(await directive.probe.run(directive.args, context)));
    } catch (error) {
      findings.push(unknownBecause(directive.probe.name, `line ${directive.line}`, error));
    }
  }
  return findings;
}
