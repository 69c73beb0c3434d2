import * as fs from 'node:fs';
import { parseNotebook, withCellIds } from '../core/format';
import { decodeUtf8 } from '../core/format/utf8';
import type { Notebook } from '../core/format/model';
import { UsageError } from './usageError';

/** Reads and parses a runbook or record; a problem names the file, and the line for a malformed one. */
export function readRunbook(file: string): Notebook {
  return readRunbookText(file).notebook;
}

/** The runbook and the text it was read from (what a run writing in place compares the file with before it writes). */
export function readRunbookText(file: string): { notebook: Notebook; text: string } {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    // Strictly: a byte that is not UTF-8 is refused with where, never replaced.
    const text = decodeUtf8(bytes);
    // Every code cell gets a stable id, written with the first change (the CLI's and VS Code's rule).
    return { notebook: withCellIds(parseNotebook(text)), text };
  } catch (error) {
    throw new UsageError(`${file}:${(error as { line?: number }).line ?? 1}: ${(error as Error).message}`);
  }
}
