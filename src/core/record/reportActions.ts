import { CONSISTENCY_TITLE, type Diagnosis, type NextStep } from '../diagnosis';
import type { ActionItem, ReportCell, ReportFinding, ReportProblem } from './reportModel';

export interface ActionInput {
  problems: readonly ReportProblem[];
  evidence: readonly ReportFinding[];
  cells: readonly ReportCell[];
  diagnosis: Diagnosis | null;
}

/** What is left to do: an overdue escalation first, then each problem's next step, re-runs, failed cells. */
export function reportActions(input: ActionInput): ActionItem[] {
  return [
    ...escalationActions(input.diagnosis),
    ...nextStepActions(input.problems, input.diagnosis),
    ...rerunActions(input.evidence),
    ...failedCellActions(input.cells),
  ];
}

function escalationActions(diagnosis: Diagnosis | null): ActionItem[] {
  const e = diagnosis?.escalation;
  if (!e?.due) return [];
  const to = e.contact ? `to ${e.contact}` : '(no contact configured: cnbook.escalation)';
  return [
    {
      kind: 'escalate',
      text: `Escalate ${to}: ${CONSISTENCY_TITLE[e.consistencyType]} has a ${e.limitMinutes} min limit and was ${e.elapsedMinutes ?? '?'} min old at the last execution`,
      cell: null,
      chart: null,
    },
  ];
}

/** Each problem's next step (once each); with no problem, the diagnosis' own next step. */
function nextStepActions(problems: readonly ReportProblem[], diagnosis: Diagnosis | null): ActionItem[] {
  const steps: NextStep[] = problems.flatMap((p) => (p.next ? [p.next] : []));
  if (steps.length === 0 && diagnosis?.next) steps.push(diagnosis.next);
  const unique = [...new Map(steps.map((s) => [s.suggestion, s])).values()];
  return unique.map((s) => ({
    kind: 'next-step',
    text: s.suggestion,
    cell: s.cell === null ? null : s.cell + 1,
    chart: s.chart,
  }));
}

function rerunActions(evidence: readonly ReportFinding[]): ActionItem[] {
  return evidence
    .filter((f) => f.severity === 'unknown')
    .map((f) => ({
      kind: 'rerun-unknown',
      text: `Run ${f.probe} on ${f.target} again once it can measure: ${f.summary}`,
      cell: f.cell,
      chart: null,
    }));
}

function failedCellActions(cells: readonly ReportCell[]): ActionItem[] {
  return cells
    .filter((c) => c.status === 'error')
    .map((c) => {
      const failed = c.runs.find((r) => r.error);
      const why = failed?.error ? `${failed.connection}: ${failed.error.message}` : (c.error ?? 'it failed');
      return {
        kind: 'fix-cell',
        text: `Cell ${c.number} failed (${why}): fix it and run it again`,
        cell: c.number,
        chart: null,
      };
    });
}
