import * as fs from 'node:fs';
import { parseNotebookBytes } from '../core/format';
import type { Notebook } from '../core/format/model';
import { UsageError } from './usageError';

/** Reads and parses a runbook or record; a problem names the file, and the line for a malformed one. */
export function readRunbook(file: string): Notebook {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return parseNotebookBytes(bytes);
  } catch (error) {
    throw new UsageError(`${file}:${(error as { line?: number }).line ?? 1}: ${(error as Error).message}`);
  }
}
