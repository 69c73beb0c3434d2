import { cellIdOf } from '../format/cellIds';
import type { JsonObject, Notebook } from '../format/model';
import { findingsOutput } from '../probes/render';
import type { Finding } from '../probes/types';
import { describeJournaledWrite, type JournaledWrite } from './journal';
import { applyRecordCellChange, type RecordCellChange } from './recordCells';
import { timelineChange, type JournalEntry } from './timeline';

/** What the fold needs of a cell: the CLI's notebook cells and VS Code's cells alike. */
export interface FoldedCell {
  metadata?: JsonObject | undefined;
  /** Set for a code cell: its language and source. */
  code?: { language: string; source: string };
}

/** What folding a journal changes in a record: its timeline, and the findings shown by each journaled cell. */
export interface JournalFold {
  timeline: RecordCellChange;
  findings: Map<number, Finding[]>;
}

/**
 * What a record is told of writes its journal says runs that never wrote it had committed: a timeline
 * entry per write, and the write's finding as the outputs of its cell (what the cell showed before no longer
 * describes the table). A cell that is no reconcile any more (the file changed since) gets the entry only.
 */
export function journalFold(cells: readonly FoldedCell[], writes: readonly JournaledWrite[], who: string): JournalFold {
  const entries: JournalEntry[] = writes.map((write) => {
    const cellId = cellIdOf(cells[write.cell]);
    return { kind: 'journal', at: write.lastAt, who, cell: write.cell, ...(cellId ? { cellId } : {}), write };
  });
  const findings = new Map<number, Finding[]>();
  for (const write of writes) {
    const code = cells[write.cell]?.code;
    if (code?.language !== 'cnprobe' || !/\breconcile\b/.test(code.source)) continue;
    findings.set(write.cell, [...(findings.get(write.cell) ?? []), journaledFinding(write)]);
  }
  return { timeline: timelineChange(cells, entries), findings };
}

/** The fold applied to a notebook in memory: the step `cnbook run` takes before its cells. */
export function foldJournal(notebook: Notebook, writes: readonly JournaledWrite[], who: string): void {
  const cells = notebook.cells.map((c) => ({
    metadata: c.metadata,
    ...(c.kind === 'code' ? { code: { language: c.language, source: c.source } } : {}),
  }));
  const fold = journalFold(cells, writes, who);
  for (const [index, findings] of fold.findings) {
    const cell = notebook.cells[index];
    if (cell?.kind === 'code') cell.outputs = [findingsOutput(findings)];
  }
  applyRecordCellChange(notebook, fold.timeline);
}

const NOT_COMPARED = 'not compared again: run the cell again to compare (and finish the repair)';

/** The finding of a write known only from its journal: what committed, and that nobody compared again. */
export function journaledFinding(write: JournaledWrite): Finding {
  const complete = write.batchesCommitted === write.batches && !write.batchInDoubt;
  return {
    probe: write.probe,
    target: write.target,
    connection: write.connection,
    // Fewer batches than planned: the rest of the drift is still there. All of them: not compared again.
    severity: complete ? 'unknown' : 'critical',
    summary: `${describeJournaledWrite(write)}; ${NOT_COMPARED}`,
    metrics: {
      applied: true,
      interrupted: !write.ended,
      batches: write.batches,
      batchesApplied: write.batchesCommitted,
      rowsChanged: write.rowsChanged,
      batchInDoubt: write.batchInDoubt?.batch ?? null,
    },
    evidence: { journal: write },
  };
}
