import { CnbookFormatError } from './errors';

/** Why a byte sequence is not UTF-8 (RFC 3629; the same bytes a fatal WHATWG TextDecoder refuses). */
export type Utf8Problem = 'stray-continuation' | 'cut-short' | 'overlong' | 'surrogate' | 'above-max' | 'never-in-utf8';

/** The first invalid sequence of a file: where it starts and what it is. */
export interface InvalidUtf8 {
  /** 0-based byte offset of the sequence's first byte. */
  offset: number;
  /** 1-based line, and 1-based column counted in characters (a BOM is not one). */
  line: number;
  column: number;
  /** The sequence as far as it is wrong: the lead byte up to the byte that breaks it (or all it has). */
  bytes: number[];
  /** The byte after a sequence cut short, or null at the end of the file. */
  next?: number | null;
  problem: Utf8Problem;
}

/** A file that is not UTF-8: refused whole, since decoding it would replace bytes and saving would lose them. */
export class InvalidUtf8Error extends CnbookFormatError {
  constructor(readonly invalid: InvalidUtf8) {
    super(invalid.line, 'UTF-8 text', utf8Message(invalid));
    this.name = 'InvalidUtf8Error';
  }
}

/**
 * A file's bytes as text, or InvalidUtf8Error naming the first invalid sequence. A BOM is kept in the text
 * (the parser records it, so that saving writes it back).
 */
export function decodeUtf8(bytes: Uint8Array): string {
  const invalid = firstInvalidUtf8(bytes);
  if (invalid) throw new InvalidUtf8Error(invalid);
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
}

const hex = (b: number) => b.toString(16).padStart(2, '0');

function utf8Message(invalid: InvalidUtf8): string {
  const bytes = invalid.bytes.map(hex).join(' ');
  const where = `column ${invalid.column} (byte offset ${invalid.offset}) is not UTF-8`;
  const why = PROBLEM_TEXT[invalid.problem](invalid);
  return `${where}: ${bytes} ${why}; cnbook opens only UTF-8 text, so that saving keeps every byte`;
}

const PROBLEM_TEXT: Record<Utf8Problem, (i: InvalidUtf8) => string> = {
  'stray-continuation': () => 'is a continuation byte with no lead byte before it',
  'cut-short': (i) => {
    const by = i.next == null ? 'the end of the file' : `the byte ${hex(i.next)}`;
    return `starts a ${sequenceLength(i.bytes[0]!)}-byte sequence cut short by ${by}`;
  },
  overlong: () => 'is an overlong encoding (a character written with more bytes than it takes)',
  surrogate: () => 'encodes a UTF-16 surrogate (U+D800 to U+DFFF), which UTF-8 may not hold',
  'above-max': () => 'encodes a code point above U+10FFFF',
  'never-in-utf8': () => 'is a byte that never appears in UTF-8',
};

/** The length a lead byte announces, or 0 for a byte that cannot start a sequence. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead < 0xc2) return 0;
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  return lead < 0xf5 ? 4 : 0;
}

/** The bytes allowed right after a lead byte: narrower for E0, ED, F0 and F4 (RFC 3629, section 4). */
function secondByteRange(lead: number): [number, number] {
  if (lead === 0xe0) return [0xa0, 0xbf];
  if (lead === 0xed) return [0x80, 0x9f];
  if (lead === 0xf0) return [0x90, 0xbf];
  if (lead === 0xf4) return [0x80, 0x8f];
  return [0x80, 0xbf];
}

const SECOND_BYTE_PROBLEM: Record<number, Utf8Problem> = { 0xe0: 'overlong', 0xf0: 'overlong', 0xed: 'surrogate' };

/** The first invalid sequence, or undefined for UTF-8 text. One pass, no allocation on valid input. */
export function firstInvalidUtf8(bytes: Uint8Array): InvalidUtf8 | undefined {
  let line = 1;
  let column = 1;
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      if (lead === 0x0a) [line, column] = [line + 1, 1];
      else column++;
      i++;
      continue;
    }
    const length = sequenceLength(lead);
    const at = { offset: i, line, column };
    if (length === 0) return { ...at, bytes: [lead], problem: leadProblem(lead) };
    const problem = continuationProblem(bytes, i, length);
    if (problem) return { ...at, ...problem };
    column++;
    i += length;
  }
  return undefined;
}

function leadProblem(lead: number): Utf8Problem {
  if (lead < 0xc0) return 'stray-continuation';
  if (lead < 0xc2) return 'overlong';
  return lead < 0xf8 ? 'above-max' : 'never-in-utf8';
}

/** What is wrong with the bytes after a lead byte at `start`, if anything. */
function continuationProblem(
  bytes: Uint8Array,
  start: number,
  length: number,
): Pick<InvalidUtf8, 'bytes' | 'next' | 'problem'> | undefined {
  const lead = bytes[start]!;
  const seen = (k: number) => Array.from(bytes.subarray(start, start + k));
  for (let k = 1; k < length; k++) {
    const byte = bytes[start + k];
    if (byte === undefined) return { bytes: seen(k), next: null, problem: 'cut-short' };
    if (byte < 0x80 || byte > 0xbf) return { bytes: seen(k), next: byte, problem: 'cut-short' };
    const [low, high] = k === 1 ? secondByteRange(lead) : [0x80, 0xbf];
    if (byte < low || byte > high) {
      return { bytes: seen(k + 1), problem: SECOND_BYTE_PROBLEM[lead] ?? 'above-max' };
    }
  }
  return undefined;
}
