import type { ColumnInfo, StatementResult } from './client';

export interface Hasher {
  update(text: string): void;
  digest(): string;
}

/**
 * What a statement's hash is taken over: one JSON line per row (JSON keeps NULL apart from the text 'NULL'
 * and from ''). The record format recomputes stored rows' hashes with it (src/core/format/packedResult.ts).
 */
export function hashedText(rows: readonly unknown[]): string {
  let text = '';
  for (const row of rows) text += `${JSON.stringify(row)}\n`;
  return text;
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
    // One hash update per batch rather than per row, since the per-call overhead dominated with narrow rows.
    this.hasher.update(hashedText(batch));
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
