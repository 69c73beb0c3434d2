import type { Finding, ProbeName, Routing, Severity } from '../probes/types';
import { SEVERITY_ORDER, worst } from '../probes/types';
import type { CauseNodeId } from './charts';
import type { ConsistencyType } from './model';

export interface Classification {
  type: ConsistencyType;
  rootCause: string | null;
  /** The branch node of the type's chart that the cause points to. */
  causeNode: CauseNodeId | null;
  evidence: Finding[];
  /** Every problem found, the primary one (the fields above) first; empty when nothing is wrong. */
  problems: Problem[];
  /** What to do, when the cause needs other advice than its chart node's (copies that differ). */
  advice?: string;
}

/** One problem the findings show: its kind, cause and the findings that show it (and what it explains). */
export interface Problem {
  type: ProblemType;
  rootCause: string;
  causeNode: CauseNodeId;
  severity: Severity;
  evidence: Finding[];
  advice?: string;
}

export type ProblemType = Exclude<ConsistencyType, 'none' | 'unknown'>;

interface Cause {
  text: string;
  node: CauseNodeId;
  evidence: Finding[];
  advice?: string;
}

const bad = (f: Finding) => f.severity === 'warning' || f.severity === 'critical';
const rank = (f: Finding) => SEVERITY_ORDER.indexOf(f.severity);

interface Rule {
  type: ProblemType;
  /** More specific signals win ties: a session violation explains lag, not the other way round. */
  specificity: number;
  match(f: Finding, context: MatchContext): boolean;
  /** The distinct causes in the rule's evidence, the one that explains most first. */
  causes(evidence: Finding[]): Cause[];
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

const cause = (text: string, node: CauseNodeId, evidence: Finding[]): Cause => ({ text, node, evidence });
/** What the cluster's own state shows (roles found at run time, the topology probe): no consistency violation. */
const isClusterState = (f: Finding) =>
  f.probe === 'topology' &&
  (f.metrics.roleMismatch === true ||
    f.metrics.noPrimary === true ||
    f.metrics.unreachable === true ||
    (f.metrics.timelineFork === true && f.metrics.pastFork !== true));
/** An old primary whose WAL goes past the fork: writes that exist only there, a strong-consistency problem. */
const writesPastFork = (f: Finding) => f.probe === 'topology' && f.metrics.pastFork === true;
const isSplitBrain = (f: Finding) => f.probe === 'topology' && f.metrics.splitBrain === true;
/** A standby whose WAL receiver is not streaming (topology): WAL not reaching it, or no primary to stream from. */
const notStreaming = (f: Finding) =>
  f.probe === 'topology' && !isClusterState(f) && !isSplitBrain(f) && !writesPastFork(f);
const isLag = (f: Finding) => f.probe === 'replication-lag';
/** A promoted node reads as "not a standby" to replication-lag: split brain explains it, it is not lag. */
const promoted = (f: Finding) => isLag(f) && f.metrics.inRecovery === false;

interface MatchContext {
  splitBrain: boolean;
  /** No member is writable: standbys not streaming are waiting for a primary, not a network fault. */
  noPrimary: boolean;
}

const RULES: Rule[] = [
  {
    type: 'availability',
    // Before any inconsistency: while the cluster moves, what the other probes see follows from it.
    specificity: 5,
    match: (f, { noPrimary }) => isClusterState(f) || (noPrimary && notStreaming(f)),
    causes: availabilityCauses,
  },
  {
    type: 'session',
    specificity: 4,
    match: (f) => f.probe === 'session-guarantees',
    causes: (ev) =>
      groupBy(ev, (f) => f.metrics.routing ?? 'round-robin').map(([routing, group]) =>
        cause(
          `session guarantees violated through ${routing} routing: ${group[0]?.summary}`,
          ROUTING_NODE[routing as Routing] ?? 'RoundRobin',
          group,
        ),
      ),
  },
  {
    type: 'causal',
    specificity: 3,
    match: (f) => f.probe === 'causal-order' || f.probe === 'clock-skew',
    causes: (ev) => {
      // A skewed clock explains events stamped out of order.
      const skew = ev.find((f) => f.probe === 'clock-skew');
      return skew
        ? [cause(`clock skew: ${skew.target} ${skew.summary}`, 'ClockCause', ev)]
        : [cause(`causal order broken: ${ev[0]?.summary}`, 'OrderCause', ev)];
    },
  },
  {
    type: 'strong',
    specificity: 2,
    match: (f, { splitBrain }) =>
      (STRONG_PROBES.includes(f.probe) && f.probe !== 'topology') ||
      isSplitBrain(f) ||
      writesPastFork(f) ||
      (splitBrain && promoted(f)),
    causes: strongCauses,
  },
  {
    type: 'eventual',
    specificity: 1,
    match: (f, { splitBrain, noPrimary }) =>
      (EVENTUAL_PROBES.includes(f.probe) && !(splitBrain && promoted(f))) || (!noPrimary && notStreaming(f)),
    causes: eventualCauses,
  },
];

function strongCauses(ev: Finding[]): Cause[] {
  const split = ev.find((f) => f.probe === 'topology' && f.metrics.splitBrain === true);
  const causes: Cause[] = [];
  if (split)
    causes.push(
      cause(
        split.summary,
        'Partition',
        ev.filter((f) => f === split || promoted(f)),
      ),
    );
  for (const fork of ev.filter(writesPastFork))
    causes.push({ ...cause(fork.summary, 'Partition', [fork]), advice: PAST_FORK_ADVICE });
  const prepared = ev.filter((f) => f.probe === 'prepared-transactions');
  if (prepared[0]) {
    const text = `two-phase commit in doubt on ${prepared[0].target}: ${prepared[0].summary}`;
    causes.push(cause(text, 'Timeout', prepared));
  }
  const locks = ev.filter((f) => f.probe === 'locks');
  if (locks[0]) causes.push(cause(`lock contention on ${locks[0].target}: ${locks[0].summary}`, 'Deadlock', locks));
  const integrity = ev.filter((f) => ['foreign-keys', 'orphans', 'sql-check'].includes(f.probe));
  const first = integrity[0];
  if (first?.probe === 'sql-check') {
    // A runbook's own check, not a constraint: say which check failed where, and what to do about a check.
    const text = `check failed on ${first.target}: ${first.summary}`;
    causes.push({ ...cause(text, 'Integrity', integrity), advice: CHECK_ADVICE });
  } else if (first) {
    causes.push(cause(`integrity violation on ${first.target}: ${first.summary}`, 'Integrity', integrity));
  }
  return causes;
}

/** Per replica its replay or streaming problem, then WAL held by slots, then copies that differ. */
function eventualCauses(ev: Finding[]): Cause[] {
  const causes: Cause[] = [];
  for (const lag of ev.filter(isLag)) {
    const delay = lag.metrics.applyDelaySeconds;
    if (lag.metrics.replayPaused === true)
      causes.push(cause(`replay paused on ${lag.target}: ${lag.summary}`, 'Config', [lag]));
    else if (typeof delay === 'number' && delay > 0)
      causes.push(
        cause(
          `replay delayed on purpose on ${lag.target} (recovery_min_apply_delay ${delay} s): ${lag.summary}`,
          'Config',
          [lag],
        ),
      );
    else if (lag.metrics.senderState !== 'streaming' && lag.metrics.senderState !== undefined)
      causes.push(cause(`WAL not streaming to ${lag.target}: ${lag.summary}`, 'Network', [lag]));
  }
  for (const standby of ev.filter(notStreaming))
    causes.push(cause(`WAL not streaming to ${standby.target}: ${standby.summary}`, 'Network', [standby]));
  const slots = ev.filter((f) => f.probe === 'replication-slots');
  if (slots[0]) causes.push(cause(`WAL retained by ${slots[0].target}: ${slots[0].summary}`, 'Capacity', slots));
  for (const lag of ev.filter((f) => isLag(f) && !causes.some((c) => c.evidence.includes(f))))
    causes.push(cause(`replication lag on ${lag.target}: ${lag.summary}`, 'Capacity', [lag]));
  const copies = ev.filter((f) => f.probe === 'row-counts' || f.probe === 'table-drift');
  if (copies[0]) {
    const text = `copies differ: ${copies[0].target}: ${copies[0].summary}`;
    causes.push({ ...cause(text, 'Capacity', copies), advice: COPIES_ADVICE });
  }
  return causes;
}

const CHECK_ADVICE =
  'Read the rows the check returned (evidence): find how they came to be, correct them in a reviewed ' +
  '-- @write cell, then run the check again';

/**
 * A declared role that moved first (every step bound to it reads the wrong server), then no primary, then
 * who is down, then who is left on an old timeline.
 */
function availabilityCauses(ev: Finding[]): Cause[] {
  const causes: Cause[] = [];
  const moved = ev.filter((f) => f.metrics.roleMismatch === true);
  if (moved[0]) causes.push({ ...cause(`roles moved: ${moved[0].summary}`, 'Scope', moved), advice: MOVED_ADVICE });
  const none = ev.filter((f) => f.metrics.noPrimary === true || notStreaming(f));
  const first = none.find((f) => f.metrics.noPrimary === true);
  if (first) causes.push({ ...cause(first.summary, 'Scope', none), advice: NO_PRIMARY_ADVICE });
  // One problem per member, however many cells kept the same finding (VS Code keeps it with each cell run).
  for (const [, down] of groupBy(
    ev.filter((f) => f.metrics.unreachable === true),
    (f) => f.target,
  ))
    causes.push({ ...cause(`member unreachable: ${down[0]?.summary}`, 'Scope', down), advice: UNREACHABLE_ADVICE });
  for (const [, behind] of groupBy(
    ev.filter((f) => f.metrics.timelineFork === true),
    (f) => f.target,
  ))
    causes.push({ ...cause(behind[0]?.summary ?? '', 'Scope', behind), advice: OLD_TIMELINE_ADVICE });
  return causes;
}

const MOVED_ADVICE =
  'The profile points a role at a server that no longer has it: fix the profile (or list the members under ' +
  'discover.members so roles are found at each run), then run again; the steps bound to that role read ' +
  'the wrong server';
const NO_PRIMARY_ADVICE =
  'Check the HA manager (patronictl list, GET /cluster) for a failover under way or a primary that is down; ' +
  'run again once a primary is elected. Do not repair data meanwhile: nothing here is a consistency violation';
const UNREACHABLE_ADVICE =
  'Find out why the member is down (its log, the HA manager); until it is back or removed, its replication slot ' +
  'stays inactive and holds WAL on the primary';

const OLD_TIMELINE_ADVICE =
  'The member has nothing past the fork: make it follow the new timeline (restart it as a standby of the ' +
  'primary, or let the HA manager rejoin it), then run again';

const PAST_FORK_ADVICE =
  'Keep the old primary out of service and do not rewind or rebuild it yet: compare it with the new primary ' +
  '(table-drift) to find the writes made after the fork, and reconcile the ones to keep first';

const COPIES_ADVICE =
  'Find what wrote to one copy only (the differing keys are in the evidence), then reconcile it from the ' +
  'authoritative side: cnbook diff --repair-sql (or a reconcile cell) gives the SQL and its undo for review';

function groupBy<K>(findings: Finding[], key: (f: Finding) => K): [K, Finding[]][] {
  const groups = new Map<K, Finding[]>();
  for (const f of findings) groups.set(key(f), [...(groups.get(key(f)) ?? []), f]);
  return [...groups];
}

/**
 * Which kinds of inconsistency the findings show, why, and on what evidence: the primary problem (the worst,
 * the most specific kind on a tie, its cause that explains most) and every other problem after it.
 */
export function classify(findings: readonly Finding[]): Classification {
  const context = {
    splitBrain: findings.some(isSplitBrain),
    noPrimary: findings.some((f) => f.metrics.noPrimary === true),
  };
  const candidates = RULES.map((rule) => {
    const evidence = findings.filter((f) => rule.match(f, context) && bad(f)).sort((a, b) => rank(b) - rank(a));
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
      problems: [],
    };
  }
  const problems = candidates.flatMap(({ rule, evidence }, i) =>
    rule.causes(evidence).map((c, order): RankedProblem => {
      const severity = worst(c.evidence.map((f) => f.severity));
      // The primary rule's first cause leads; the rest follow by severity, kind and the rule's own order.
      const key = [i === 0 && order === 0 ? 0 : 1, -SEVERITY_ORDER.indexOf(severity), -rule.specificity, order];
      const problem = { type: rule.type, rootCause: c.text, causeNode: c.node, severity, evidence: c.evidence, key };
      return c.advice ? { ...problem, advice: c.advice } : problem;
    }),
  );
  const explained = absorbExplained(problems, deviatingHosts(findings));
  explained.sort((a, b) => compareKeys(a.key, b.key));
  const [primary] = explained;
  const primaryRule = candidates.find((c) => c.rule.type === primary?.type) ?? chosen;
  return {
    type: primaryRule.rule.type,
    rootCause: primary?.rootCause ?? null,
    causeNode: primary?.causeNode ?? null,
    evidence: [...new Set([...primaryRule.evidence, ...(primary?.evidence ?? [])])],
    problems: explained.map(({ key: _key, ...problem }) => problem),
    ...(primary?.advice ? { advice: primary.advice } : {}),
  };
}

/** The host a problem's cause sits on: a replica's replay or streaming, or the writable nodes of a split brain. */
type RankedProblem = Problem & { key: number[] };

function causeHosts(problem: Problem): string[] {
  if (problem.type === 'availability')
    return problem.evidence.flatMap((f) => (f.metrics.unreachable === true && f.connection ? [f.connection] : []));
  if (problem.causeNode === 'Partition')
    return problem.evidence.flatMap((f) => (f.probe === 'topology' ? (f.deviating ?? []) : []));
  if (problem.causeNode !== 'Config' && problem.causeNode !== 'Network' && problem.causeNode !== 'Capacity') return [];
  return problem.evidence.flatMap((f) => (isLag(f) && f.connection ? [f.connection] : []));
}

/**
 * The hosts whose state a finding shows departing: the copies a comparison found different, and for a slot
 * the standby that streamed from it (topology's primary_slot_name, kept after a promotion).
 */
function deviatingHosts(findings: readonly Finding[]): (f: Finding) => string[] {
  const consumers = new Map<string, string>();
  for (const f of findings)
    if (f.probe === 'topology' && typeof f.metrics.primarySlotName === 'string' && f.connection)
      consumers.set(f.metrics.primarySlotName, f.connection);
  const down = findings.filter((f) => f.metrics.unreachable === true && f.connection);
  return (f) => {
    if (f.probe !== 'replication-slots') return f.deviating ?? [];
    const slot = typeof f.metrics.slotName === 'string' ? f.metrics.slotName : undefined;
    const consumer = slot === undefined ? undefined : consumers.get(slot);
    if (consumer) return [consumer];
    if (slot === undefined || f.metrics.active !== false) return [];
    return slotOfUnreachable(slot, down).flatMap((m) => (m.connection ? [m.connection] : []));
  };
}

/**
 * The unreachable member an inactive slot that no reachable standby streams from belongs to: the one named
 * like it (HA managers name slots after members), or the only member that is down.
 */
function slotOfUnreachable(slot: string, down: readonly Finding[]): Finding[] {
  const named = down.filter((m) => slotNameOf(m.connection ?? '') === slot || m.metrics.managerName === slot);
  return named.length > 0 ? named : down.length === 1 ? [...down] : [];
}

/** Patroni's slot name for a member: lower case, anything but letters, digits and _ as _. */
function slotNameOf(member: string): string {
  return member.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** Problems that other problems' causes may explain: copies that differ, WAL held by slots. */
const explainable = (p: Problem) =>
  p.advice === COPIES_ADVICE || p.evidence.every((f) => f.probe === 'replication-slots');

/**
 * A cause comes before what it explains: copies that differ only on hosts where another problem's cause sits
 * (the paused replica's stale counts and drift, the promoted node's divergent rows), and the slot of a
 * promoted or disconnected standby, become that problem's evidence, not problems of their own. Findings
 * that do not say which hosts they concern are left as they are.
 */
function absorbExplained(problems: RankedProblem[], hostsOf: (f: Finding) => string[]): RankedProblem[] {
  const hosts = problems.map(causeHosts);
  const result = problems.map((p) => ({ ...p, evidence: [...p.evidence], key: [...p.key] }));
  for (const problem of result.filter(explainable)) {
    problem.evidence = problem.evidence.filter((finding) => {
      const deviating = hostsOf(finding);
      const host = result.find(
        (p, i) => p !== problem && deviating.length > 0 && deviating.every((d) => hosts[i]?.includes(d)),
      );
      if (!host) return true;
      host.evidence.push(finding);
      host.severity = worst([host.severity, finding.severity]);
      // What explains the primary problem takes its place; its rank follows the evidence it gained.
      host.key = [
        Math.min(host.key[0] ?? 1, problem.key[0] ?? 1),
        -SEVERITY_ORDER.indexOf(host.severity),
        ...host.key.slice(2),
      ];
      return false;
    });
  }
  return leadWithCauses(
    result.filter((p) => p.evidence.length > 0),
    hostsOf,
  );
}

/**
 * Session guarantees broken only by reads from replicas where another problem's cause sits (a paused
 * replay) stay a problem (the routing lets any lag through) but come after that cause, which leads if they led.
 */
function leadWithCauses(problems: RankedProblem[], hostsOf: (f: Finding) => string[]): RankedProblem[] {
  const hosts = problems.map(causeHosts);
  for (const problem of problems.filter((p) => p.type === 'session')) {
    const seenOn = [...new Set(problem.evidence.flatMap(hostsOf))];
    // The replicas' causes together must account for every replica that served a broken read.
    const causes = problems.filter((p, i) => p !== problem && seenOn.some((h) => hosts[i]?.includes(h)));
    const covered = seenOn.every((h) => causes.some((c) => hosts[problems.indexOf(c)]?.includes(h)));
    if (seenOn.length === 0 || !covered) continue;
    // Ranked just before what they explain: the same standing, an earlier place.
    causes.forEach((cause, n) => {
      if (compareKeys(cause.key, problem.key) > 0)
        cause.key = [...problem.key.slice(0, 3), (problem.key[3] ?? 0) - 0.5 + n / (2 * causes.length)];
    });
  }
  return problems;
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}
