import { CONSISTENCY_TITLE, type DiagnosisHeadline } from '../diagnosis/model';
import { cellIndexNow } from '../format/cellIds';
import type { JsonObject, MarkdownCell } from '../format/model';
import { SEVERITY_ICON } from '../probes/render';
import { SEVERITY_ORDER, type Finding, type Severity } from '../probes/types';
import type { CellStatus } from '../run/cell';
import { runStatusWord } from '../run/statusWords';
import { escapeMarkdownInline, markdownTableCell } from '../util/escape';
import { findRecordCell, placeRecordCell, type RecordCellChange } from './recordCells';
import { describeJournaledWrite, type JournaledWrite } from './journal';
import {
  describeDiagnosisEntry,
  diagnosisEntryFor,
  problemsAfter,
  type DiagnosisEntry,
  type TimelineProblem,
} from './diagnosisEntry';

interface EntryBase {
  /** ISO time, UTC. */
  at: string;
  /** Who did it: the OS user of the CLI or of VS Code's extension host. */
  who: string;
}

/** A cell ran: where, with what outcome, and how many findings of each severity it gave. */
export interface RunEntry extends EntryBase {
  kind: 'run';
  /** The cell's index when it ran; its number in the record is drawn from where `cellId` stands now. */
  cell: number;
  /** The cell's stable id (absent in entries written before cells had ids). */
  cellId?: string;
  /** The cell's first line, so the entry reads well after cells moved. */
  label: string;
  language: string;
  connections: string[];
  outcome: CellStatus;
  findings: Partial<Record<Severity, number>>;
}

export interface NoteEntry extends EntryBase {
  kind: 'note';
  text: string;
}

export type { DiagnosisEntry } from './diagnosisEntry';

/**
 * A writing probe's journal told the record what a run that never wrote it had committed (a reconcile
 * killed mid-apply): folded in by the next run of the record.
 */
export interface JournalEntry extends EntryBase {
  kind: 'journal';
  cell: number;
  cellId?: string;
  write: JournaledWrite;
}

export type TimelineEntry = RunEntry | NoteEntry | DiagnosisEntry | JournalEntry;

const MARKER = 'timeline';
type CellLike = { metadata?: JsonObject | undefined };

/** The entries stored in a record's timeline cell (none when it has none, or they were edited into nonsense). */
export function timelineOf(cells: readonly { metadata?: JsonObject | undefined }[]): TimelineEntry[] {
  const stored = cells[findRecordCell(cells, MARKER)]?.metadata?.timeline;
  const entries = (stored as { entries?: unknown } | undefined)?.entries;
  return Array.isArray(entries) ? entries.filter(isEntry) : [];
}

/** The timeline with `added` appended: the one way both the CLI and VS Code write it. */
export function timelineChange(
  cells: readonly { metadata?: JsonObject | undefined }[],
  added: readonly TimelineEntry[],
): RecordCellChange {
  if (added.length === 0) return { kind: 'unchanged' };
  return timelineWritten(cells, [...timelineOf(cells), ...added]);
}

/** The timeline cell holding `entries` (all of them, the stored ones included), in its place. */
export function timelineWritten(
  cells: readonly { metadata?: JsonObject | undefined }[],
  entries: readonly TimelineEntry[],
): RecordCellChange {
  return placeRecordCell(cells, MARKER, timelineCell(entries, cells));
}

/** What the timeline needs to know of a cell that just ran. */
export interface CellRunFacts {
  index: number;
  /** The cell's stable id, when it has one. */
  cellId?: string;
  language: string;
  source: string;
  status: CellStatus;
  connections: string[];
  findings: readonly Finding[];
  at: string;
  who: string;
}

/**
 * The timeline after a cell ran: its entry, and the diagnosis' when the conclusion changed (the diagnosis
 * of the notebook with this cell's findings in). The step `cnbook run` and VS Code take after every cell.
 */
export function timelineAfterRun(
  cells: readonly { metadata?: JsonObject | undefined }[],
  run: CellRunFacts,
  diagnosis: DiagnosisHeadline | null,
): RecordCellChange {
  return timelineChange(cells, runEntries(diagnosisSoFar(timelineOf(cells)), runEntryFacts(run), diagnosis));
}

/** What a run entry says of a cell that ran (its severities are counted by runEntries). */
export function runEntryFacts(
  run: CellRunFacts,
): Omit<RunEntry, 'kind' | 'findings'> & { findings: readonly Finding[] } {
  const { index, cellId, source, status, ...rest } = run;
  return { ...rest, cell: index, ...(cellId ? { cellId } : {}), label: cellLabel(source), outcome: status };
}

/** What the timeline said of the diagnosis so far: its newest diagnosis entry and the problems standing. */
export interface DiagnosisSoFar {
  last: DiagnosisEntry | undefined;
  standing: TimelineProblem[];
}

export function diagnosisSoFar(timeline: readonly TimelineEntry[]): DiagnosisSoFar {
  return { last: lastDiagnosisEntry(timeline), standing: problemsAfter(timeline) };
}

/**
 * A run's entry, and one for the diagnosis of that moment (`diagnosis`: the notebook's with this run's
 * findings in) when it says something the timeline has not said yet.
 */
export function runEntries(
  before: DiagnosisSoFar,
  run: Omit<RunEntry, 'kind' | 'findings'> & { findings: readonly Finding[] },
  diagnosis: DiagnosisHeadline | null,
): TimelineEntry[] {
  const counts: Partial<Record<Severity, number>> = {};
  for (const f of run.findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  const entries: TimelineEntry[] = [{ ...run, kind: 'run', findings: counts }];
  if (!diagnosis || run.findings.length === 0) return entries;
  const entry = diagnosisEntryFor(before.last, before.standing, diagnosis, { at: run.at, who: run.who });
  return entry ? [...entries, entry] : entries;
}

/** The newest diagnosis entry, found from the end (a run's own entries come last). */
export function lastDiagnosisEntry(timeline: readonly TimelineEntry[]): DiagnosisEntry | undefined {
  for (let i = timeline.length - 1; i >= 0; i--) {
    const entry = timeline[i]!;
    if (entry.kind === 'diagnosis') return entry;
  }
  return undefined;
}

/** The timeline cell; "cell N" in its table is where each entry's cell stands in `cells` now. */
export function timelineCell(entries: readonly TimelineEntry[], cells: readonly CellLike[]): MarkdownCell {
  return {
    kind: 'markdown',
    source: timelineMarkdown(entries, cells),
    metadata: { cnbook: MARKER, timeline: { version: 1, entries: entries as unknown as JsonObject[] } },
  };
}

/**
 * The timeline cell written again with each entry's "cell N" drawn from where its cell stands now, when a
 * cell moved since the entries were made; no change otherwise, so a record whose cells did not move keeps
 * its bytes whatever wrote its table. VS Code's serializer applies it before every save.
 */
export function timelineRenumbered(cells: readonly (CellLike & { source: string })[]): RecordCellChange {
  const stored = cells[findRecordCell(cells, MARKER)];
  const entries = timelineOf(cells);
  if (!stored || entries.length === 0) return { kind: 'unchanged' };
  const now = timelineMarkdown(entries, cells);
  if (stored.source === now || timelineMarkdown(entries, 'as-run') === now) return { kind: 'unchanged' };
  return timelineWritten(cells, entries);
}

/** The number of an entry's cell in the record now ("removed" when its cell is gone). */
export function entryCellNumber(entry: { cell: number; cellId?: string }, cells: readonly CellLike[]): number | null {
  const now = cellIndexNow(cells, entry.cellId, entry.cell);
  return now === null ? null : now + 1;
}

/**
 * The timeline as a Markdown table, oldest first; every value escaped. "cell N" is where each entry's cell
 * stands in `cells`, or (`as-run`) where it stood when the entry was made.
 */
export function timelineMarkdown(entries: readonly TimelineEntry[], cells: readonly CellLike[] | 'as-run'): string {
  const cellName = (e: { cell: number; cellId?: string }) => {
    const number = cells === 'as-run' ? e.cell + 1 : entryCellNumber(e, cells);
    return number === null ? 'a removed cell' : `cell ${number}`;
  };
  const rows = entries.map((e) => {
    const [what, where, outcome] = describe(e, cellName);
    return `| ${e.at.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')} | ${markdownTableCell(e.who)} | ${what} | ${where} | ${outcome} |`;
  });
  return [
    '## Timeline',
    '',
    '| time (UTC) | who | what | where | outcome |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

function describe(e: TimelineEntry, cellName: (e: RunEntry | JournalEntry) => string): [string, string, string] {
  switch (e.kind) {
    case 'run': {
      const counts = SEVERITY_ORDER.filter((s) => e.findings[s]).map((s) => `${SEVERITY_ICON[s]} ${e.findings[s]}`);
      const what = `ran ${cellName(e)} (${escapeMarkdownInline(e.language)}): ${markdownTableCell(e.label, 60)}`;
      return [
        what,
        e.connections.map((c) => markdownTableCell(c)).join(', '),
        [runStatusWord(e.outcome), ...counts].join(' '),
      ];
    }
    case 'note':
      return ['note', '', markdownTableCell(e.text, 500)];
    case 'journal':
      return [
        `journal of ${cellName(e)}`,
        markdownTableCell(e.write.connection),
        markdownTableCell(describeJournaledWrite(e.write), 500),
      ];
    case 'diagnosis':
      return ['diagnosis', '', describeDiagnosisEntry(e, markdownTableCell)];
  }
}

function isSeverity(value: unknown): value is Severity {
  return SEVERITY_ORDER.some((s) => s === value);
}

/** A short name for a cell in the timeline: its first line that is not blank or an annotation. */
export function cellLabel(source: string): string {
  const line = source.split(/\r?\n/).find((l) => l.trim() && !/^\s*--\s*@/.test(l)) ?? '';
  return line.trim().slice(0, 80);
}

function isEntry(value: unknown): value is TimelineEntry {
  const e = value as Partial<TimelineEntry> | null;
  if (typeof e !== 'object' || e === null || typeof e.at !== 'string' || typeof e.who !== 'string') return false;
  if (e.kind === 'note') return typeof e.text === 'string';
  if (e.kind === 'journal') return typeof e.cell === 'number' && typeof e.write === 'object' && e.write !== null;
  if (e.kind === 'diagnosis')
    return Object.hasOwn(CONSISTENCY_TITLE, e.consistencyType ?? '') && isSeverity(e.severity);
  return (
    e.kind === 'run' &&
    typeof e.cell === 'number' &&
    Array.isArray(e.connections) &&
    typeof e.outcome === 'string' &&
    typeof e.findings === 'object'
  );
}
