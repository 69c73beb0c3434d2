import type { CauseNodeId } from '../diagnosis/charts';
import type { ProblemType } from '../diagnosis/classify';
import { CONSISTENCY_TITLE, type ConsistencyType, type DiagnosisHeadline } from '../diagnosis/model';
import { SEVERITY_ICON } from '../probes/render';
import type { Severity } from '../probes/types';

/** A problem as the timeline names it: kind, cause node and where (its first evidence's target) make it the same. */
export interface TimelineProblem {
  type: ProblemType;
  causeNode: CauseNodeId;
  on: string;
  severity: Severity;
  rootCause: string;
}

/** A problem that appeared, went, or changed severity since the diagnosis entry before (severity: the new one). */
export interface ProblemChange extends TimelineProblem {
  change: 'new' | 'gone' | 'severity';
}

/**
 * The diagnosis of one moment: what the whole diagnosis weighs (the worst finding), its primary problem with
 * that problem's own severity, and what changed since the entry before. Entries written before issue 18 hold
 * only the first three fields.
 */
export interface DiagnosisEntry {
  kind: 'diagnosis';
  at: string;
  who: string;
  consistencyType: ConsistencyType;
  /** The whole diagnosis' severity: its worst finding's. */
  severity: Severity;
  /** The primary problem's cause, null when nothing is wrong. */
  rootCause: string | null;
  /** The primary problem's own severity: below the whole diagnosis' when a worse problem is not the primary. */
  primarySeverity?: Severity | null;
  /** How many problems of each severity the diagnosis holds. */
  problems?: Partial<Record<Severity, number>>;
  changes?: ProblemChange[];
}

type Sameness = Pick<TimelineProblem, 'type' | 'causeNode' | 'on'>;
const same = (a: Sameness, b: Sameness) => a.type === b.type && a.causeNode === b.causeNode && a.on === b.on;

/** The problems standing after these entries: each diagnosis entry's changes applied in turn. */
export function problemsAfter(entries: readonly { kind: string }[]): TimelineProblem[] {
  let standing: TimelineProblem[] = [];
  for (const entry of entries)
    if (entry.kind === 'diagnosis') standing = problemsWith(standing, entry as DiagnosisEntry);
  return standing;
}

/** The problems standing once a diagnosis entry's changes are applied to `standing`. */
export function problemsWith(standing: readonly TimelineProblem[], entry: DiagnosisEntry): TimelineProblem[] {
  let result = [...standing];
  for (const { change, ...problem } of entry.changes ?? []) {
    result = result.filter((p) => !same(p, problem));
    if (change !== 'gone') result.push(problem);
  }
  return result;
}

export function timelineProblems(headline: DiagnosisHeadline): TimelineProblem[] {
  return headline.problems.map(({ type, causeNode, severity, rootCause, evidence }) => ({
    type,
    causeNode,
    on: evidence[0]?.target ?? '',
    severity,
    rootCause,
  }));
}

/** What changed between the problems standing before and those of the diagnosis now. */
export function problemChanges(before: readonly TimelineProblem[], now: readonly TimelineProblem[]): ProblemChange[] {
  const changes: ProblemChange[] = [];
  for (const problem of now) {
    const was = before.find((p) => same(p, problem));
    if (!was) changes.push({ change: 'new', ...problem });
    else if (was.severity !== problem.severity) changes.push({ change: 'severity', ...problem });
  }
  for (const problem of before) if (!now.some((p) => same(p, problem))) changes.push({ change: 'gone', ...problem });
  return changes;
}

/**
 * The entry for a diagnosis, or null when it says what the last entry said (same type, severities and
 * primary problem, no problem come, gone or changed).
 */
export function diagnosisEntryFor(
  last: DiagnosisEntry | undefined,
  standing: readonly TimelineProblem[],
  headline: DiagnosisHeadline,
  stamp: { at: string; who: string },
): DiagnosisEntry | null {
  const now = timelineProblems(headline);
  const changes = problemChanges(standing, now);
  const primarySeverity = headline.problems[0]?.severity ?? null;
  const { consistencyType, severity, rootCause } = headline;
  const unchanged =
    last?.consistencyType === consistencyType &&
    last.severity === severity &&
    (last.primarySeverity ?? null) === primarySeverity &&
    last.rootCause === rootCause &&
    changes.length === 0;
  if (unchanged) return null;
  const problems: Partial<Record<Severity, number>> = {};
  for (const p of now) problems[p.severity] = (problems[p.severity] ?? 0) + 1;
  return { kind: 'diagnosis', ...stamp, consistencyType, severity, rootCause, primarySeverity, problems, changes };
}

const CHANGE_WORD: Record<ProblemChange['change'], string> = { new: 'new', gone: 'gone', severity: 'now' };

/**
 * A diagnosis entry in words, each piece of text passed through `text` (an escaper, with a length cap): the
 * whole diagnosis' severity, then the primary problem with its own severity where they differ, then what
 * changed. The timeline cell and the report both say it this way.
 */
export function describeDiagnosisEntry(entry: DiagnosisEntry, text: (s: string, max: number) => string): string {
  const title = CONSISTENCY_TITLE[entry.consistencyType];
  const primary = `${title}${entry.rootCause ? `: ${text(entry.rootCause, 200)}` : ''}`;
  const own = entry.primarySeverity;
  const overall = `${SEVERITY_ICON[entry.severity]} ${entry.severity} overall`;
  const lead =
    own && own !== entry.severity
      ? `${overall}; primary problem ${SEVERITY_ICON[own]} ${own}: ${primary}`
      : `${SEVERITY_ICON[entry.severity]} ${primary}`;
  const changes = (entry.changes ?? [])
    // The primary problem, new or not, is already named in the lead.
    .filter((c) => !(c.change === 'new' && c.rootCause === entry.rootCause))
    .map((c) => `${CHANGE_WORD[c.change]} ${SEVERITY_ICON[c.severity]} ${c.severity}: ${text(c.rootCause, 120)}`);
  return [lead, ...changes].join('; ');
}
