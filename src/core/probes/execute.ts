import { CellInputError } from '../sql/execute';
import { PROBE_CATALOG } from './catalog';
import { createProbeContext, ProbeContextOptions, unknownBecause } from './context';
import { DirectiveProblem, parseDirectives } from './directive';
import type { Finding, ProbeDefinition } from './types';
import { ValidDirective, validateDirective } from './validate';

/** Parses and validates a cnprobe cell without running it: for `cnbook check` and before a run. */
export function checkProbeCell(
  source: string,
  catalog: ReadonlyMap<string, ProbeDefinition> = PROBE_CATALOG,
): { directives: ValidDirective[]; problems: DirectiveProblem[] } {
  const parsed = parseDirectives(source);
  const problems = [...parsed.problems];
  const directives: ValidDirective[] = [];
  for (const directive of parsed.directives) {
    const result = validateDirective(directive, catalog);
    problems.push(...result.problems);
    if (result.valid) directives.push(result.valid);
  }
  return { directives, problems: problems.sort((a, b) => a.line - b.line || a.column - b.column) };
}

/**
 * The roles or connections a cnprobe cell would write to (markers), each once, in directive order: what a
 * run must ask permission for, by name. Empty for a cell that only reads (or does not validate).
 */
export function probeCellWriteRoles(source: string): string[] {
  return [...new Set(checkProbeCell(source).directives.flatMap((d) => d.probe.writeRoles(d.args)))];
}

/** Whether any directive of the cell writes (so the run needs permission and a confirmation). */
export function probeCellWrites(source: string): boolean {
  return probeCellWriteRoles(source).length > 0;
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
export async function executeProbeCell(source: string, options: ProbeContextOptions): Promise<Finding[]> {
  const { directives, problems } = checkProbeCell(source);
  const first = problems[0];
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
