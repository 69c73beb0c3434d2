/**
 * How many rows to ask a cursor for next, so that the rows held at once stay near a byte budget whatever
 * their width: a cursor read asks for a row count, and the server sends that many rows however wide they
 * are, so the count follows the widest row seen so far. It starts small and grows at most FETCH_GROWTH-fold
 * a read, so a result whose rows turn wide after narrow ones overshoots by one read of a bounded count.
 */
export const FETCH_FIRST_ROWS = 16;
const FETCH_GROWTH = 16;

export class FetchBatchSizer {
  private rows: number;
  private widestRowChars = 0;

  constructor(
    private readonly maxRows: number,
    private readonly budgetChars: number,
    firstRows = FETCH_FIRST_ROWS,
  ) {
    this.rows = Math.max(1, Math.min(maxRows, firstRows));
  }

  /** Rows to ask for in the next read. */
  next(): number {
    return this.rows;
  }

  /** Takes in a read's rows (each value's length in characters, a null none) and sizes the next read. */
  observe(batch: readonly (readonly (string | null)[])[]): void {
    for (const row of batch) {
      let chars = 0;
      for (const value of row) chars += value?.length ?? 0;
      if (chars > this.widestRowChars) this.widestRowChars = chars;
    }
    const fitting = Math.floor(this.budgetChars / Math.max(1, this.widestRowChars));
    this.rows = Math.max(1, Math.min(this.maxRows, this.rows * FETCH_GROWTH, fitting));
  }
}
