import type { CellReport } from '../run/runbook';
import type { ClusterView } from './roles';

/** What a run could not look at, and what it would need to: so a diagnosis is read with its blind spots. */
export interface NotSeen {
  /** Cells that failed only on a down server or where their role is not, by notebook index, with why. */
  cells: { index: number; why: string }[];
  /** Members that could not be asked. */
  nodes: string[];
  needs: string[];
}

export function notSeen(
  reports: readonly CellReport[],
  cluster: Pick<ClusterView, 'unreachable' | 'findings'>,
): NotSeen {
  const cells = reports
    .filter((r) => r.status === 'error' && (r.serverUnavailable === true || r.wrongRole === true))
    .map((r) => ({ index: r.index, why: r.error ?? (r.wrongRole ? 'its role is not held' : 'server unavailable') }));
  const nodes = cluster.unreachable.map((m) => m.connection.name);
  const needs = [
    ...nodes.map((n) => `${n} reachable again (or taken out of the profile)`),
    ...(cluster.findings.some((f) => f.metrics.noPrimary === true) ? ['a primary: run again once one is elected'] : []),
    ...cluster.findings
      .filter((f) => f.metrics.roleMismatch === true)
      .map(
        (f) =>
          `the profile's ${String(f.metrics.declaredRole)} bound where that role is (${f.target} does not have it)`,
      ),
  ];
  return { cells, nodes, needs };
}

/** One line for a terminal or a log, empty when the run saw everything. */
export function notSeenLine(seen: NotSeen): string {
  if (seen.cells.length === 0 && seen.nodes.length === 0) return '';
  const cells = seen.cells.length > 0 ? `cells ${seen.cells.map((c) => c.index + 1).join(', ')}` : '';
  const nodes = seen.nodes.length > 0 ? `nodes ${seen.nodes.join(', ')}` : '';
  const needs = seen.needs.length > 0 ? `; would need: ${seen.needs.join('; ')}` : '';
  return `not seen: ${[cells, nodes].filter(Boolean).join(' and ')}${needs}`;
}
