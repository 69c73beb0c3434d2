import { CellInputError } from '../sql/execute';
import { PROBE_CATALOG } from './catalog';
import { createProbeContext, ProbeContextOptions, unknownBecause } from './context';
import { DirectiveProblem, parseDirectives } from './directive';
import type { Finding, ProbeDefinition } from './types';
import { ValidDirective, validateDirective } from './validate';

/** Parses and validates a cnprobe cell without running it: for `cnbook check` and before a run. */
export function checkProbeCell(source: string, catalog: ReadonlyMap<string, ProbeDefinition> = PROBE_CATALOG): { directives: ValidDirective[]; problems: DirectiveProblem[] } {
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

/** Runs every directive of a cnprobe cell in order and gathers their findings. */
export async function executeProbeCell(source: string, options: ProbeContextOptions): Promise<Finding[]> {
  const { directives, problems } = checkProbeCell(source);
  const first = problems[0];
  if (first) throw new CellInputError(first.message, first.line, first.column);
  if (directives.length === 0) throw new CellInputError('the cell has no probe directive (e.g. replication-lag on=replicas)');
  const context = createProbeContext(options);
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
