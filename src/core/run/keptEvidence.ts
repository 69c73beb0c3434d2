import { isObject } from '../format/json';
import { ERROR_MIME, type CellOutput, type ExecutionSummary } from '../format/model';
import { escapeMarkdownInline } from '../util/escape';

/** What the note above kept evidence records: when that evidence was taken, and the attempt that failed. */
export interface KeptEvidence {
  /** ISO time the kept outputs were made (their run's end), or null when the record does not say. */
  takenAt: string | null;
  /** ISO time of the latest attempt, which could not execute. */
  failedAt: string;
  reason: string;
}

const NOTE_KEY = 'keptEvidence';

/** The kept-evidence note among a cell's outputs, if it has one. */
export function keptEvidenceOf(outputs: readonly CellOutput[] | undefined): KeptEvidence | undefined {
  const note = (outputs ?? []).find(isNote)?.metadata?.[NOTE_KEY];
  return isObject(note) && typeof note.failedAt === 'string' && typeof note.reason === 'string'
    ? { takenAt: typeof note.takenAt === 'string' ? note.takenAt : null, failedAt: note.failedAt, reason: note.reason }
    : undefined;
}

function isNote(output: CellOutput): boolean {
  return isObject(output.metadata) && isObject(output.metadata[NOTE_KEY]);
}

/** Outputs that are evidence: something other than an error and the note itself. */
function holdsEvidence(outputs: readonly CellOutput[]): boolean {
  return outputs.some((o) => !isNote(o) && !o.items.some((item) => item.mime === ERROR_MIME));
}

export interface CellBefore {
  outputs?: readonly CellOutput[] | undefined;
  execution?: ExecutionSummary | undefined;
}

export interface OutputsAfterRun {
  outputs: CellOutput[];
  /** The earlier evidence was kept: the run could not execute. */
  kept?: KeptEvidence;
}

/**
 * The outputs a cell keeps after a run, for the CLI and VS Code alike. A run that executed replaces them, as
 * in any notebook. A run that could not execute (`notExecuted`: no server reachable, the sandbox down)
 * keeps the outputs of the last run that did, under a note saying when they were taken and that the
 * latest attempt failed and why; with nothing to keep, the failed run's own outputs are shown.
 */
export function outputsAfterRun(
  before: CellBefore,
  run: { outputs: CellOutput[]; notExecuted?: string | undefined },
  failedAt: Date,
): OutputsAfterRun {
  const previous = before.outputs ?? [];
  if (run.notExecuted === undefined || !holdsEvidence(previous)) return { outputs: run.outputs };
  const earlier = keptEvidenceOf(previous);
  const end = before.execution?.endTime;
  const takenAt = earlier ? earlier.takenAt : typeof end === 'number' ? new Date(end).toISOString() : null;
  const kept: KeptEvidence = { takenAt, failedAt: failedAt.toISOString(), reason: run.notExecuted };
  return { outputs: [keptNote(kept), ...previous.filter((o) => !isNote(o))], kept };
}

function keptNote(kept: KeptEvidence): CellOutput {
  const taken = kept.takenAt ? `taken at ${kept.takenAt.replace('T', ' ').slice(0, 19)} UTC` : 'of an earlier run';
  const text =
    `⚠️ **The latest run could not execute** (${kept.failedAt.replace('T', ' ').slice(0, 19)} UTC): ` +
    `${escapeMarkdownInline(kept.reason)}. The evidence below is ${taken}, the last run that executed.`;
  return { items: [{ mime: 'text/markdown', text }], metadata: { [NOTE_KEY]: { ...kept } } };
}
