import type { ColumnInfo, StatementResult } from './client';
import { cutToUtf8Bytes, longerThan, piecesOf, utf8Length, type CutCell } from './cutValue';

export interface Hasher {
  update(text: string): void;
  digest(): string;
}

/** How long a stored value may be, and a new sha256 hasher (over UTF-8) for the full value of a longer one. */
export interface ValueLimit {
  maxValueBytes: number;
  newHasher(): Hasher;
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

/** Text hashed per update: one update per batch of narrow rows, without a second copy of a batch of wide ones. */
const HASH_CHUNK_CHARS = 1 << 20;

/**
 * Collects a statement's rows as they stream in: keeps the first `maxRowsStored` (each value longer than the
 * limit cut), counts all, and hashes all in full, so a million-row result costs memory for N rows only and
 * two hosts whose values differ after the cut still differ.
 */
export class ResultBuilder {
  private readonly rows: (string | null)[][] = [];
  private readonly cutCells: CutCell[] = [];
  private count = 0;

  constructor(
    private readonly columns: ColumnInfo[],
    private readonly maxRowsStored: number,
    private readonly hasher: Hasher,
    private readonly valueLimit?: ValueLimit,
  ) {}

  add(batch: (string | null)[][]): void {
    this.hash(batch);
    const room = this.maxRowsStored - this.rows.length;
    for (const row of room > 0 ? batch.slice(0, room) : []) this.rows.push(this.stored(row, this.rows.length));
    this.count += batch.length;
  }

  finish(command: string, affectedRows?: number | null): StatementResult {
    const result: StatementResult = {
      command,
      columns: this.columns,
      rows: this.rows,
      rowCount: this.columns.length > 0 ? this.count : (affectedRows ?? 0),
      truncated: this.count > this.rows.length,
      hash: `sha256:${this.hasher.digest()}`,
    };
    if (this.cutCells.length > 0) result.cutCells = this.cutCells;
    return result;
  }

  // Per-call overhead dominated with narrow rows, so rows are hashed in chunks rather than one by one; a row
  // wider than a chunk is hashed piece by piece, so that a 200 MB value is not copied once more as JSON.
  private hash(batch: (string | null)[][]): void {
    let start = 0;
    let chars = 0;
    for (let i = 0; i < batch.length; i++) {
      const row = batch[i]!;
      const rowChars = row.reduce((sum, value) => sum + (value?.length ?? 0), 0);
      if (rowChars >= HASH_CHUNK_CHARS) {
        if (start < i) this.hasher.update(hashedText(batch.slice(start, i)));
        hashWideRow(row, this.hasher);
        start = i + 1;
        chars = 0;
        continue;
      }
      chars += rowChars;
      if (chars < HASH_CHUNK_CHARS && i < batch.length - 1) continue;
      this.hasher.update(hashedText(batch.slice(start, i + 1)));
      start = i + 1;
      chars = 0;
    }
  }

  private stored(row: (string | null)[], index: number): (string | null)[] {
    const limit = this.valueLimit;
    if (!limit || !row.some((v) => v !== null && longerThan(v, limit.maxValueBytes))) return row;
    return row.map((value, column) => {
      if (value === null || !longerThan(value, limit.maxValueBytes)) return value;
      const hasher = limit.newHasher();
      for (const piece of piecesOf(value, HASH_CHUNK_CHARS)) hasher.update(piece);
      this.cutCells.push({ row: index, column, length: utf8Length(value), sha256: hasher.digest() });
      return cutToUtf8Bytes(value, limit.maxValueBytes);
    });
  }
}

/** Feeds a hasher what hashedText([row]) is, a value at a time and each long one in pieces. */
function hashWideRow(row: readonly (string | null)[], hasher: Hasher): void {
  hasher.update('[');
  row.forEach((value, i) => {
    if (i > 0) hasher.update(',');
    if (value === null) return hasher.update('null');
    hasher.update('"');
    // JSON escapes code unit by code unit (a surrogate pair as itself), so pieces escape as the whole does.
    for (const piece of piecesOf(value, HASH_CHUNK_CHARS)) hasher.update(JSON.stringify(piece).slice(1, -1));
    hasher.update('"');
  });
  hasher.update(']\n');
}
