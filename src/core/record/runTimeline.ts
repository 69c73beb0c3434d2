import type { DiagnosisHeadline } from '../diagnosis/model';
import type { JsonObject } from '../format/model';
import { problemsWith } from './diagnosisEntry';
import type { RecordCellChange } from './recordCells';
import {
  diagnosisSoFar,
  runEntries,
  runEntryFacts,
  timelineOf,
  timelineWritten,
  type CellRunFacts,
  type DiagnosisSoFar,
  type TimelineEntry,
} from './timeline';

type CellLike = { metadata?: JsonObject | undefined };

/**
 * The timeline of a headless run, kept in memory while the cells run and written into the notebook once at
 * the end. Writing the cell after every cell (as VS Code does for a person running cells one by one) would
 * rebuild the whole table each time: a run of N cells would cost N² rows.
 */
export class RunTimeline {
  private readonly entries: TimelineEntry[];
  private readonly stored: number;
  private readonly diagnosis: DiagnosisSoFar;

  constructor(cells: readonly CellLike[]) {
    this.entries = timelineOf(cells);
    this.stored = this.entries.length;
    this.diagnosis = diagnosisSoFar(this.entries);
  }

  /**
   * The entries for a cell that ran, by the same rule as VS Code's (runEntries). `diagnosis` is asked only
   * when the cell gave findings: only then can the conclusion have changed.
   */
  cellRan(run: CellRunFacts, diagnosis: () => DiagnosisHeadline): void {
    const facts = runEntryFacts(run);
    const added = runEntries(this.diagnosis, facts, facts.findings.length > 0 ? diagnosis() : null);
    for (const entry of added) {
      this.entries.push(entry);
      if (entry.kind !== 'diagnosis') continue;
      this.diagnosis.last = entry;
      this.diagnosis.standing = problemsWith(this.diagnosis.standing, entry);
    }
  }

  /** The timeline cell with every entry, or no change when the run added none. */
  change(cells: readonly CellLike[]): RecordCellChange {
    return this.entries.length === this.stored ? { kind: 'unchanged' } : timelineWritten(cells, this.entries);
  }
}
