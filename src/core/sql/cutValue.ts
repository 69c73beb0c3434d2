/**
 * A value too long to keep in a record is kept as its first bytes, with its full length and hash, so the
 * record stays bounded and the value can still be compared with the server's own (`sha256(convert_to(v,
 * 'UTF8'))`). The cut falls on a character boundary, so the kept part is valid text.
 */

/** One stored cell whose value is cut: its place in the statement's rows and what the full value was. */
export interface CutCell {
  row: number;
  column: number;
  /** The full value's length in UTF-8 bytes. */
  length: number;
  /** sha256 (hex) of the full value's UTF-8 bytes. */
  sha256: string;
}

/** The UTF-8 length of a string (a lone surrogate counts as U+FFFD, 3 bytes, as encoders write it). */
export function utf8Length(text: string): number {
  // A regular expression skips ASCII runs far faster than a loop over char codes (200 MB: 60 ms, not 1 s).
  let bytes = text.length;
  for (const run of text.matchAll(/[\u0080-\u07ff]+|[\u0800-\uffff]+/g)) {
    const units = run[0].length;
    if (run[0].charCodeAt(0) < 0x800) bytes += units;
    else bytes += 2 * units - 2 * (run[0].match(/[\ud800-\udbff][\udc00-\udfff]/g)?.length ?? 0);
  }
  return bytes;
}

/**
 * A long text in pieces of about `size` code units, never splitting a surrogate pair, so that hashing or
 * escaping the pieces one after another gives what the whole text gives, without a second copy of it.
 */
export function* piecesOf(text: string, size: number): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    if (end < text.length && isLowSurrogate(text.charCodeAt(end)) && end - 1 > start) end--;
    yield text.slice(start, end);
    start = end;
  }
}

/** The longest prefix of `text` whose UTF-8 form fits in `maxBytes`, never splitting a character. */
export function cutToUtf8Bytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    const pair = code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1));
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += pair ? 2 : 1;
  }
  return text.slice(0, i);
}

/** Whether a value is longer than `maxBytes` in UTF-8, without scanning what need not be scanned. */
export function longerThan(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return utf8Length(text) > maxBytes;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** What a view says after a cut value's kept part: `cut: 209,715,200 bytes, sha256 ab12cd34…`. */
export function cutNote(cut: CutCell): string {
  return `cut: ${groupThousands(cut.length)} bytes, sha256 ${cut.sha256.slice(0, 12)}…`;
}

/** A stored cell's value as views show it: a cut one says so, after its kept part. */
export function shownWithCut(value: string, cut: CutCell | undefined): string {
  return cut ? `${value}… (${cutNote(cut)})` : value;
}

/**
 * Finds a statement's cut cells by position; undefined for a cell that is whole. A record read from a file
 * may hold anything there, so what is not a list of cut cells finds none.
 */
export function cutCellFinder(cutCells: unknown): (row: number, column: number) => CutCell | undefined {
  if (!Array.isArray(cutCells) || cutCells.length === 0) return () => undefined;
  const byPlace = new Map<string, CutCell>();
  for (const cut of cutCells as unknown[]) if (isCutCell(cut)) byPlace.set(`${cut.row}:${cut.column}`, cut);
  return (row, column) => byPlace.get(`${row}:${column}`);
}

function isCutCell(value: unknown): value is CutCell {
  if (typeof value !== 'object' || value === null) return false;
  const cut = value as Record<string, unknown>;
  const counts = [cut.row, cut.column, cut.length].every((n) => typeof n === 'number');
  return counts && typeof cut.sha256 === 'string';
}

/** 209715200 as `209,715,200`, the same on every machine (no locale). */
function groupThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
