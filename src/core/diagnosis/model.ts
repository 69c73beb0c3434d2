import type { RunbookStep } from './steps';
import type { Finding, ProbeName, Severity } from '../probes/types';
import type { CauseNodeId, ChartId, HostInfo, NodeId } from './charts';

/**
 * The kind of inconsistency a diagnosis names; `availability` is no inconsistency but the cluster itself
 * changing or broken (no primary, a role that moved, a member down), which comes before any of them.
 */
export type ConsistencyType = 'availability' | 'eventual' | 'strong' | 'causal' | 'session' | 'none' | 'unknown';
export type NodeState = 'not-visited' | 'visited' | 'current' | 'ok' | 'warning' | 'critical';

export interface NodeStatus {
  state: NodeState;
  /** Measured values shown in the node's label. */
  values: string[];
  /** The findings behind the state (for hover and evidence). */
  findings: Finding[];
}

export interface Escalation {
  consistencyType: ConsistencyType;
  limitMinutes: number;
  elapsedMinutes: number | null;
  due: boolean;
  contact: string | null;
}

export interface NextStep {
  chart: ChartId;
  node: NodeId;
  suggestion: string;
  /** The probe to run next (or again, once the fix is in), when one applies. */
  probe: ProbeName | null;
  /** The runbook cell (notebook index) to go to for it, when the runbook has one. */
  cell: number | null;
  /** That cell's stable id, when it has one: what a link to it goes by. */
  cellId?: string;
}

/**
 * What a diagnosis concludes, without the charts and next steps: what the timeline records of it (the whole
 * diagnosis' severity, the primary problem, and every problem with its own severity).
 */
export type DiagnosisHeadline = Pick<Diagnosis, 'consistencyType' | 'rootCause' | 'severity'> & {
  problems: Pick<DiagnosedProblem, 'type' | 'causeNode' | 'severity' | 'rootCause' | 'evidence'>[];
};

export interface Diagnosis {
  consistencyType: ConsistencyType;
  rootCause: string | null;
  severity: Severity;
  /** Chart-qualified node ids (`overall:Scope`, `eventual:Config`) in the order they were walked. */
  path: string[];
  next: NextStep | null;
  evidence: Finding[];
  charts: Record<ChartId, Record<string, NodeStatus>>;
  escalation: Escalation | null;
  diagnosedAt: string;
  /**
   * Every problem found, each with its cause, evidence and next step: the primary one (the fields above)
   * first, then the others by severity. Empty when nothing is wrong.
   */
  problems: DiagnosedProblem[];
}

export interface DiagnosedProblem {
  type: Exclude<ConsistencyType, 'none' | 'unknown'>;
  rootCause: string;
  causeNode: CauseNodeId;
  severity: Severity;
  evidence: Finding[];
  next: NextStep;
}

export interface DiagnosisInput {
  findings: Finding[];
  hosts: HostInfo[];
  now: string;
  /** When the incident was opened (front matter `incident.opened`), for escalation timers. */
  openedAt?: string;
  /** Team handles per consistency type, from settings; none are built in. */
  contacts?: Partial<Record<ConsistencyType, string>>;
  /** The runbook's code cells, so that the next step can name the cell to run. */
  steps?: RunbookStep[];
}

export const CONSISTENCY_TITLE: Record<ConsistencyType, string> = {
  availability: 'Cluster availability',
  eventual: 'Eventual consistency',
  strong: 'Strong consistency',
  causal: 'Causal consistency',
  session: 'Session consistency',
  none: 'No inconsistency measured',
  unknown: 'Not yet known',
};

/** The guide's escalation table: minutes before a type of inconsistency must be escalated. */
export const ESCALATION_MINUTES: Partial<Record<ConsistencyType, number>> = {
  strong: 10,
  session: 15,
  causal: 20,
  eventual: 30,
};

/** The chart a diagnosis of this type is read on: the overall one when no consistency type's chart applies. */
export function chartOfType(type: ConsistencyType): ChartId {
  return type === 'none' || type === 'unknown' || type === 'availability' ? 'overall' : type;
}

/** What a diagnosis concluded, without the per-node chart states: what a record or a CLI summary keeps. */
export function conclusionOf(d: Diagnosis) {
  const { consistencyType, rootCause, severity, path, next, evidence, escalation, problems, diagnosedAt } = d;
  return { consistencyType, rootCause, severity, path, next, evidence, escalation, problems, diagnosedAt };
}
