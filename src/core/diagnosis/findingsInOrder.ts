import type { Finding } from '../probes/types';

/**
 * The findings of a notebook's cells in cell order, kept as one list while the cells' findings change one
 * cell at a time: a run asks for the list after every cell that gave findings, and flattening every cell's
 * findings each time would cost the run cells × cells.
 */
export class FindingsInOrder {
  private readonly all: Finding[] = [];
  /** Where each cell's findings start in `all`. */
  private readonly starts: number[] = [];
  private readonly counts: number[] = [];

  constructor(cells: readonly { findings: readonly Finding[] }[]) {
    for (const cell of cells) {
      this.starts.push(this.all.length);
      this.counts.push(cell.findings.length);
      for (const finding of cell.findings) this.all.push(finding);
    }
  }

  /** Cell `index` now has these findings, in place of what it had. */
  set(index: number, findings: readonly Finding[]): void {
    const start = this.starts[index];
    const count = this.counts[index];
    if (start === undefined || count === undefined) throw new RangeError(`no cell ${index}`);
    this.all.splice(start, count, ...findings);
    this.counts[index] = findings.length;
    const shift = findings.length - count;
    if (shift !== 0) for (let i = index + 1; i < this.starts.length; i++) this.starts[i]! += shift;
  }

  /** Every finding, in cell order: the list itself, not a copy (read it, do not keep it). */
  list(): readonly Finding[] {
    return this.all;
  }
}
