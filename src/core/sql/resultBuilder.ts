import type { ColumnInfo, StatementResult } from './client';

export interface Hasher {
  update(text: string): void;
  digest(): string;
}

/**
 * Collects a statement's rows as they stream in: keeps the first `maxRowsStored`, counts all, and hashes
 * all, so a million-row result costs memory for N rows only.
 */
export class ResultBuilder {
  private readonly rows: (string | null)[][] = [];
  private count = 0;

  constructor(
    private readonly columns: ColumnInfo[],
    private readonly maxRowsStored: number,
    private readonly hasher: Hasher,
  ) {}

  add(batch: (string | null)[][]): void {
    // One JSON line per row: JSON keeps NULL apart from the text 'NULL' and from ''. One hash update per
    // batch rather than per row, since the per-call overhead dominated with narrow rows.
    let text = '';
    for (const row of batch) text += `${JSON.stringify(row)}\n`;
    this.hasher.update(text);
    const room = this.maxRowsStored - this.rows.length;
    if (room > 0) this.rows.push(...batch.slice(0, room));
    this.count += batch.length;
  }

  finish(command: string, affectedRows?: number | null): StatementResult {
    return {
      command,
      columns: this.columns,
      rows: this.rows,
      rowCount: this.columns.length > 0 ? this.count : (affectedRows ?? 0),
      truncated: this.count > this.rows.length,
      hash: `sha256:${this.hasher.digest()}`,
    };
  }
}
