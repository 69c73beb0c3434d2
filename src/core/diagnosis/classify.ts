import type { Finding, ProbeName, Routing } from '../probes/types';
import { SEVERITY_ORDER } from '../probes/types';
import type { CauseNodeId } from './charts';
import type { ConsistencyType } from './model';

export interface Classification {
  type: ConsistencyType;
  rootCause: string | null;
  /** The branch node of the type's chart that the cause points to. */
  causeNode: CauseNodeId | null;
  evidence: Finding[];
}

const bad = (f: Finding) => f.severity === 'warning' || f.severity === 'critical';
const rank = (f: Finding) => SEVERITY_ORDER.indexOf(f.severity);

interface Rule {
  type: ConsistencyType;
  /** More specific signals win ties: a session violation explains lag, not the other way round. */
  specificity: number;
  match(f: Finding): boolean;
  cause(evidence: Finding[]): { text: string; node: CauseNodeId };
}

const ROUTING_NODE: Record<Routing, CauseNodeId> = {
  sticky: 'Sticky',
  'round-robin': 'RoundRobin',
  weighted: 'Weighted',
  hash: 'Hash',
};
const STRONG_PROBES: readonly ProbeName[] = [
  'topology',
  'prepared-transactions',
  'locks',
  'foreign-keys',
  'orphans',
  'sql-check',
];
const EVENTUAL_PROBES: readonly ProbeName[] = ['replication-lag', 'replication-slots', 'row-counts', 'table-drift'];

const RULES: Rule[] = [
  {
    type: 'session',
    specificity: 4,
    match: (f) => f.probe === 'session-guarantees',
    cause: (ev) => {
      const routing = ev[0]?.metrics.routing ?? 'round-robin';
      const node = ROUTING_NODE[routing] ?? 'RoundRobin';
      return { text: `session guarantees violated through ${routing} routing: ${ev[0]?.summary}`, node };
    },
  },
  {
    type: 'causal',
    specificity: 3,
    match: (f) => f.probe === 'causal-order' || f.probe === 'clock-skew',
    cause: (ev) => {
      const skew = ev.find((f) => f.probe === 'clock-skew');
      return skew
        ? { text: `clock skew: ${skew.target} ${skew.summary}`, node: 'ClockCause' }
        : { text: `causal order broken: ${ev[0]?.summary}`, node: 'OrderCause' };
    },
  },
  {
    type: 'strong',
    specificity: 2,
    match: (f) => STRONG_PROBES.includes(f.probe),
    cause: (ev) => {
      const split = ev.find((f) => f.probe === 'topology' && f.metrics.splitBrain === true);
      if (split) return { text: split.summary, node: 'Partition' };
      const prepared = ev.find((f) => f.probe === 'prepared-transactions');
      if (prepared)
        return { text: `two-phase commit in doubt on ${prepared.target}: ${prepared.summary}`, node: 'Timeout' };
      const locks = ev.find((f) => f.probe === 'locks');
      if (locks) return { text: `lock contention on ${locks.target}: ${locks.summary}`, node: 'Deadlock' };
      return { text: `integrity violation on ${ev[0]?.target}: ${ev[0]?.summary}`, node: 'Integrity' };
    },
  },
  {
    type: 'eventual',
    specificity: 1,
    match: (f) => EVENTUAL_PROBES.includes(f.probe),
    cause: (ev) => {
      const lag = ev.find((f) => f.probe === 'replication-lag');
      if (lag?.metrics.replayPaused === true)
        return { text: `replay paused on ${lag.target}: ${lag.summary}`, node: 'Config' };
      if (lag && lag.metrics.senderState !== 'streaming' && lag.metrics.senderState !== undefined)
        return { text: `WAL not streaming to ${lag.target}: ${lag.summary}`, node: 'Network' };
      const slot = ev.find((f) => f.probe === 'replication-slots');
      if (slot) return { text: `WAL retained by ${slot.target}: ${slot.summary}`, node: 'Capacity' };
      if (lag) return { text: `replication lag on ${lag.target}: ${lag.summary}`, node: 'Capacity' };
      return { text: `copies differ: ${ev[0]?.target}: ${ev[0]?.summary}`, node: 'Capacity' };
    },
  },
];

/** Which kind of inconsistency the findings show, why, and on what evidence. */
export function classify(findings: Finding[]): Classification {
  const candidates = RULES.map((rule) => {
    const evidence = findings.filter((f) => rule.match(f) && bad(f)).sort((a, b) => rank(b) - rank(a));
    return { rule, evidence, worst: evidence[0] ? rank(evidence[0]) : -1 };
  }).filter((c) => c.evidence.length > 0);
  candidates.sort((a, b) => b.worst - a.worst || b.rule.specificity - a.rule.specificity);
  const chosen = candidates[0];
  if (!chosen) {
    const measured = findings.some((f) => f.severity === 'ok');
    return {
      type: measured ? 'none' : 'unknown',
      rootCause: null,
      causeNode: null,
      evidence: findings.filter((f) => f.severity === 'unknown'),
    };
  }
  const cause = chosen.rule.cause(chosen.evidence);
  return { type: chosen.rule.type, rootCause: cause.text, causeNode: cause.node, evidence: chosen.evidence };
}
