import type { CellOutput, CodeCell, Notebook } from '../format/model';
import type { Finding } from '../probes/types';
import { findingsOutput } from '../probes/render';
import type { CutValue } from '../sql/payload';
import { CellRunOptions, CellStatus, runCodeCell } from './cell';
import type { ProbeJournal } from '../record/journal';
import { cellSubject } from './cellSubject';
import { outputsAfterRun, type KeptEvidence } from './keptEvidence';

export type { CellStatus } from './cell';

/** The language of a cell whose text goes into the timeline as a note when it is run. */
export const NOTE_LANGUAGE = 'note';

export interface CellReport {
  index: number;
  language: string;
  status: CellStatus;
  durationMs: number;
  error?: string;
  findings?: Finding[];
  /** The connections it ran on; none for a skipped cell. */
  connections: string[];
  /** ISO time the cell finished (or was skipped). */
  at: string;
  /** The values its result keeps cut, when there are any. */
  cutValues?: CutValue[];
  /** It failed only because servers were unreachable or stopped answering; the run went on. */
  serverUnavailable?: boolean;
  /** It failed only where the role it needs is not (moved, or held by no server); the run went on. */
  wrongRole?: boolean;
  /** Nothing executed, and the cell kept the evidence of its last run that did (what, since when, why). */
  evidenceKept?: KeptEvidence;
}

export interface RunbookRunOptions extends CellRunOptions {
  /** The journal a cell's writing probe records its commits in (the journal knows the record and the run). */
  journalOfCell?(index: number): ProbeJournal;
  /**
   * What binding the roles found about the cluster (a declared role that moved, no primary, a member that
   * cannot be reached): kept with the first cell that runs, so the record and its diagnosis hold them.
   */
  clusterFindings?: readonly Finding[];
  /** Stop at the first cell that fails for any reason, a down server or a moved role too (`--fail-fast`). */
  failFast?: boolean;
  onCellStart?(index: number): void;
  onCellEnd?(report: CellReport): void;
}

/**
 * Runs the code cells in order, filling their outputs in place; stops at the first failed or cancelled
 * cell (but not, unless failFast, at one that failed only on unreachable servers or where its role is not)
 * and marks the rest skipped. Returns a report per code cell.
 */
export async function runRunbook(notebook: Notebook, options: RunbookRunOptions): Promise<CellReport[]> {
  const reports: CellReport[] = [];
  const memory = options.memory ?? new Map<string, unknown>();
  let stopped = false;
  let order = 0;
  for (const [index, cell] of notebook.cells.entries()) {
    // A `note` cell is the responder's words for the timeline, stamped when run in VS Code: not a step.
    if (cell.kind !== 'code' || cell.language === NOTE_LANGUAGE) continue;
    let report: CellReport;
    if (stopped || options.signal?.aborted) {
      report = { index, language: cell.language, status: 'skipped', durationMs: 0, connections: [], at: isoNow() };
    } else {
      options.onCellStart?.(index);
      const journal = options.journalOfCell?.(index);
      const subject = cellSubject(notebook.cells, index);
      report = await runCell(cell, index, subject, ++order, { ...options, memory, ...(journal ? { journal } : {}) });
      // Not above kept evidence: the note there already says why this run could not execute.
      if (order === 1 && !report.evidenceKept) keepClusterFindings(cell, report, options.clusterFindings ?? []);
      // A server that is down or hung, or a role that moved, is a fact about the cluster, not the runbook: go on.
      const aboutTheCluster = report.serverUnavailable === true || report.wrongRole === true;
      stopped = report.status !== 'ok' && (options.failFast === true || !aboutTheCluster);
    }
    reports.push(report);
    options.onCellEnd?.(report);
  }
  return reports;
}

async function runCell(
  cell: CodeCell,
  index: number,
  subject: string,
  executionOrder: number,
  options: CellRunOptions,
): Promise<CellReport> {
  const start = Date.now();
  const run = await runCodeCell(cell.language, cell.source, options, subject);
  const end = Date.now();
  const after = outputsAfterRun(cell, run, new Date(end));
  cell.outputs = after.outputs;
  cell.execution = { executionOrder, success: run.status === 'ok', startTime: start, endTime: end };
  const report: CellReport = {
    index,
    language: cell.language,
    status: run.status,
    durationMs: end - start,
    connections: run.connections,
    at: new Date(end).toISOString(),
  };
  if (run.error) report.error = run.error;
  if (run.findings.length > 0) report.findings = run.findings;
  if (run.cutValues) report.cutValues = run.cutValues;
  if (run.serverUnavailable) report.serverUnavailable = true;
  if (run.wrongRole) report.wrongRole = true;
  if (after.kept) report.evidenceKept = after.kept;
  return report;
}

function keepClusterFindings(cell: CodeCell, report: CellReport, findings: readonly Finding[]): void {
  if (findings.length === 0) return;
  const kept = withClusterFindings({ outputs: cell.outputs ?? [], findings: report.findings ?? [] }, findings);
  cell.outputs = kept.outputs;
  report.findings = kept.findings;
}

/** A cell's outputs and findings with the cluster's findings first: how the CLI and VS Code both keep them. */
export function withClusterFindings(
  run: { outputs: CellOutput[]; findings: Finding[] },
  cluster: readonly Finding[],
): { outputs: CellOutput[]; findings: Finding[] } {
  if (cluster.length === 0) return run;
  return { outputs: [findingsOutput([...cluster]), ...run.outputs], findings: [...cluster, ...run.findings] };
}

function isoNow(): string {
  return new Date().toISOString();
}
