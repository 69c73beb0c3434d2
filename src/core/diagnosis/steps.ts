import { parseDirectives } from '../probes/directive';
import { parseAnnotations } from '../sql/annotations';

/** A runbook's code cell as the diagnosis sees it: the probes it holds and whether it has run. */
export interface RunbookStep {
  /** The cell's index in the notebook. */
  index: number;
  /** The cell's stable id, when it has one. */
  id?: string;
  /** Probe names of a cnprobe cell; `sql-check` for a SQL cell with `-- @expect`. */
  probes: string[];
  ran: boolean;
}

export interface StepSource {
  index: number;
  id?: string;
  language: string;
  source: string;
  ran: boolean;
}

export function runbookSteps(cells: readonly StepSource[]): RunbookStep[] {
  return cells
    .filter((cell) => cell.language === 'sql' || cell.language === 'cnprobe')
    .map((cell) => ({
      index: cell.index,
      ...(cell.id ? { id: cell.id } : {}),
      ran: cell.ran,
      probes: probesOf(cell),
    }));
}

function probesOf(cell: StepSource): string[] {
  if (cell.language === 'cnprobe') return [...new Set(parseDirectives(cell.source).directives.map((d) => d.name))];
  return parseAnnotations(cell.source).annotations.expect ? ['sql-check'] : [];
}

/**
 * The cell to go to for the recommended probe: one that has not run yet holds it; else, when asked to
 * follow the runbook, its next unrun step; else the cell that ran it, to run again once the fix is in.
 */
export function cellForNextStep(
  steps: readonly RunbookStep[],
  probe: string | null,
  followRunbook: boolean,
): number | null {
  return stepForNextStep(steps, probe, followRunbook)?.index ?? null;
}

/** The step cellForNextStep names, with its id. */
export function stepForNextStep(
  steps: readonly RunbookStep[],
  probe: string | null,
  followRunbook: boolean,
): RunbookStep | undefined {
  const holds = (step: RunbookStep) => probe !== null && step.probes.includes(probe);
  const unrunWithProbe = steps.find((step) => !step.ran && holds(step));
  if (unrunWithProbe) return unrunWithProbe;
  if (followRunbook) {
    const lastRan = steps.reduce((last, step, i) => (step.ran ? i : last), -1);
    const following = steps.slice(lastRan + 1).find((step) => !step.ran) ?? steps.find((step) => !step.ran);
    if (following) return following;
  }
  return steps.find(holds);
}
