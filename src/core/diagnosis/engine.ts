import type { Finding, ProbeName, Severity } from '../probes/types';
import { worst } from '../probes/types';
import {
  allCharts,
  Chart,
  ChartId,
  ChartNode,
  type CauseNodeId,
  type NodeId,
  type OverallNodeId,
  type TypeBranchNodeId,
} from './charts';
import { classify, Classification } from './classify';
import { stepForNextStep, RunbookStep } from './steps';
import {
  Diagnosis,
  DiagnosisHeadline,
  DiagnosisInput,
  ESCALATION_MINUTES,
  Escalation,
  NextStep,
  NodeStatus,
} from './model';

const TYPE_BRANCH: Record<string, TypeBranchNodeId> = {
  eventual: 'Eventual',
  strong: 'Strong',
  causal: 'Causal',
  session: 'Session',
};
// The walk through each type's chart up to its cause decision, as the guide orders it.
const TYPE_WALK: Record<string, NodeId[]> = {
  eventual: ['Issue', 'Lag', 'Hosts', 'Cause', 'CauseKind'],
  strong: ['Violation', 'Txn', 'TwoPC', 'RootCause', 'Category'],
  session: ['Stale', 'Tracing', 'Routing', 'Policy'],
  causal: ['Disorder', 'Ordering', 'Chains', 'Skew', 'Cause'],
};
const AFTER_CAUSE: Record<string, NodeId> = {
  eventual: 'Restore',
  strong: 'Recovery',
  session: 'Fix',
  causal: 'Repair',
};

/**
 * The conclusion `diagnose` reaches on these findings, without its charts: a run asks it after every cell
 * that gave findings, and drawing every chart each time would cost the run a chart walk per finding per cell.
 */
export function diagnosisHeadline(findings: readonly Finding[]): DiagnosisHeadline {
  return headlineOf(classify(findings), findings);
}

function headlineOf(classification: Classification, findings: readonly Finding[]): DiagnosisHeadline {
  const severity = worst(findings.map((f) => f.severity));
  const { type: consistencyType, rootCause, problems } = classification;
  return { consistencyType, rootCause, severity, problems };
}

/** Findings in, diagnosis out: node states of every chart, type and cause, path, next step, escalation. Pure. */
export function diagnose(input: DiagnosisInput): Diagnosis {
  const charts = allCharts(input.hosts);
  const classification = classify(input.findings);
  const states = Object.fromEntries(
    charts.map((chart) => [chart.id, chartStates(chart, input.findings)]),
  ) as Diagnosis['charts'];
  const path = walk(classification);
  // Walking the per-host step visits every host of the profile, measured or not.
  const hostsAt = path.indexOf('eventual:Hosts');
  if (hostsAt >= 0)
    path.splice(
      hostsAt + 1,
      0,
      ...(charts[1]?.nodes ?? []).filter((n) => n.shape === 'host').map((n) => `eventual:${n.id}`),
    );
  for (const id of path) {
    const [chartId, node] = id.split(':') as [ChartId, string];
    const status = states[chartId]?.[node];
    if (status && status.state === 'not-visited') status.state = 'visited';
  }
  const next = nextStep(classification, input.findings, input.steps ?? []);
  const current = states[next?.chart ?? 'overall']?.[next?.node ?? ''];
  if (current && (current.state === 'not-visited' || current.state === 'visited')) current.state = 'current';
  return {
    ...headlineOf(classification, input.findings),
    path,
    next,
    evidence: classification.evidence,
    charts: states,
    escalation: escalation(classification, input),
    diagnosedAt: input.now,
    problems: classification.problems.map((found) => {
      const { advice: _advice, ...problem } = found;
      return { ...problem, next: nextStep({ ...found, problems: [] }, input.findings, input.steps ?? []) };
    }),
  };
}

function chartStates(chart: Chart, findings: Finding[]): Record<string, NodeStatus> {
  return Object.fromEntries(chart.nodes.map((node) => [node.id, nodeStatus(node, findings)]));
}

/** Whether a finding decides a node: one of its probes, and for a host node a finding about that connection. */
export function bearsOn(node: ChartNode, finding: Finding): boolean {
  if (!node.probes?.includes(finding.probe)) return false;
  return !node.connection || finding.connection === node.connection;
}

function nodeStatus(node: ChartNode, findings: Finding[]): NodeStatus {
  const relevant = findings.filter((f) => bearsOn(node, f));
  if (relevant.length === 0) return { state: 'not-visited', values: [], findings: [] };
  const severity: Severity = worst(relevant.map((f) => f.severity));
  const state = severity === 'unknown' ? 'visited' : severity;
  const values = relevant
    .filter((f) => f.severity === severity)
    .slice(0, 2)
    .map((f) => (node.connection ? f.summary : `${f.target}: ${f.summary}`));
  return { state, values, findings: relevant };
}

function walk(c: Classification): string[] {
  const overall = (['Alert', 'Scope', 'Model', 'Types'] satisfies OverallNodeId[]).map((n) => `overall:${n}`);
  // The cluster moving or broken is found while scoping: no consistency chart is walked for it.
  if (c.type === 'none' || c.type === 'unknown' || c.type === 'availability') return overall.slice(0, 2);
  const chart = c.type;
  const typeWalk = (TYPE_WALK[chart] ?? []).map((n) => `${chart}:${n}`);
  return [
    ...overall,
    `overall:${TYPE_BRANCH[chart]}`,
    ...typeWalk,
    ...(c.causeNode ? [`${chart}:${c.causeNode}`] : []),
  ];
}

function nextStep(c: Classification, findings: Finding[], steps: RunbookStep[]): NextStep {
  const unmeasured = findings.find((f) => f.severity === 'unknown');
  // While nothing points anywhere, the runbook's own order says what to run next.
  const followRunbook = c.type === 'none' || (c.type === 'unknown' && !unmeasured);
  const step = (chart: ChartId, node: NodeId, suggestion: string, probe: ProbeName | null): NextStep => {
    const cell = stepForNextStep(steps, probe, followRunbook);
    return { chart, node, suggestion, probe, cell: cell?.index ?? null, ...(cell?.id ? { cellId: cell.id } : {}) };
  };
  if (c.type === 'unknown') {
    return unmeasured
      ? step(
          'overall',
          'Scope',
          'Some probes could not measure (see the unknown findings): fix access, then run them again',
          unmeasured.probe,
        )
      : step(
          'overall',
          'Scope',
          'Scope the inconsistency: run topology on=all, replication-lag on=replicas and row-counts tables=... on=all',
          'topology',
        );
  }
  if (c.type === 'none')
    return step(
      'overall',
      'Scope',
      'Nothing measured is wrong: compare the affected table across copies (table-drift) or check its invariants with -- @expect',
      'table-drift',
    );
  if (c.type === 'availability')
    return step('overall', 'Scope', c.advice ?? SUGGESTIONS.Scope, c.evidence[0]?.probe ?? null);
  const suggestion =
    c.advice ??
    (c.causeNode ? SUGGESTIONS[c.causeNode] : undefined) ??
    'Fix the cause shown, then run the probes again to validate';
  return step(c.type, AFTER_CAUSE[c.type] ?? 'Restore', suggestion, c.evidence[0]?.probe ?? null);
}

const SUGGESTIONS: Record<CauseNodeId, string> = {
  Scope: 'Check the HA manager and the members that did not answer, then run again once the cluster has settled',
  Config:
    'Resume replay (SELECT pg_wal_replay_resume()) or remove recovery_min_apply_delay, then run replication-lag again',
  Network:
    "Check the standby's WAL receiver and its connection to the primary (primary_conninfo, pg_hba.conf, the network)",
  Capacity:
    'Find what holds replay or WAL back (long queries on the standby, inactive slots), then run replication-lag and replication-slots again',
  Partition:
    'Fence the extra writable node now (stop writes to it), pick the authoritative primary, then compare copies with table-drift',
  Timeout: 'Decide each in-doubt transaction with its coordinator: COMMIT PREPARED or ROLLBACK PREPARED',
  Deadlock: 'Find the blocking session (locks evidence) and end it, then fix lock ordering',
  Integrity:
    'List the offending rows (evidence), repair them in a reviewed -- @write cell, then add or validate the constraint',
  Sticky: "Route a session's reads to the primary (or to a replica past its write LSN) after it writes",
  RoundRobin: "Stop round-robin reads after a write: pin sessions, or wait for the write's LSN on the replica",
  Weighted: 'Send reads after a write to the primary or a caught-up replica',
  Hash: 'Make the hash route fail over consistently and wait for the write LSN',
  ClockCause:
    'Fix time synchronisation (chrony/NTP) on the skewed server, and order events by a sequence, not a timestamp',
  OrderCause: 'Write the parent before the child in one transaction, or backfill the missing parents',
};

function escalation(c: Classification, input: DiagnosisInput): Escalation | null {
  const limit = ESCALATION_MINUTES[c.type];
  if (limit === undefined) return null;
  const opened = input.openedAt ? Date.parse(input.openedAt) : NaN;
  const elapsed = Number.isNaN(opened) ? null : Math.max(0, (Date.parse(input.now) - opened) / 60_000);
  return {
    consistencyType: c.type,
    limitMinutes: limit,
    elapsedMinutes: elapsed === null ? null : Math.round(elapsed * 10) / 10,
    due: elapsed !== null && elapsed >= limit,
    contact: input.contacts?.[c.type] ?? null,
  };
}
