import type { Notebook } from '../format/model';
import { findingsOutput } from '../probes/render';
import type { Finding } from '../probes/types';
import { describeJournaledWrite, type JournaledWrite } from './journal';
import { applyRecordCellChange } from './recordCells';
import { timelineChange, type JournalEntry } from './timeline';

/**
 * Tells a record what its journal says runs that never wrote it had committed: a timeline entry per write,
 * and the write's finding as the outputs of its cell (what the cell showed before no longer describes the
 * table). The step a run takes before its cells, so the record it writes says it.
 */
export function foldJournal(notebook: Notebook, writes: readonly JournaledWrite[], who: string): void {
  const entries: JournalEntry[] = writes.map((write) => ({
    kind: 'journal',
    at: write.lastAt,
    who,
    cell: write.cell,
    write,
  }));
  applyRecordCellChange(notebook, timelineChange(notebook.cells, entries));
  const byCell = new Map<number, Finding[]>();
  for (const write of writes) byCell.set(write.cell, [...(byCell.get(write.cell) ?? []), journaledFinding(write)]);
  for (const [index, findings] of byCell) {
    const cell = notebook.cells[index];
    // The file changed since (the journal names a cell that is not a reconcile any more): the timeline says it.
    if (cell?.kind !== 'code' || cell.language !== 'cnprobe' || !/\breconcile\b/.test(cell.source)) continue;
    cell.outputs = [findingsOutput(findings)];
  }
}

/** The finding of a write known only from its journal: what committed, and that nobody compared again. */
export function journaledFinding(write: JournaledWrite): Finding {
  const complete = write.batchesCommitted === write.batches && !write.batchInDoubt;
  return {
    probe: write.probe,
    target: write.target,
    connection: write.connection,
    // Fewer batches than planned: the rest of the drift is still there. All of them: not compared again.
    severity: complete ? 'unknown' : 'critical',
    summary: `${describeJournaledWrite(write)}; not compared again: run the cell again to compare (and finish the repair)`,
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
