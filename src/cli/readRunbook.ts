import * as fs from 'node:fs';
import { parseNotebook } from '../core/format';
import type { Notebook } from '../core/format/model';
import { UsageError } from './usageError';

/** Reads and parses a runbook or record; a problem names the file, and the line for a malformed one. */
export function readRunbook(file: string): Notebook {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return parseNotebook(text);
  } catch (error) {
    throw new UsageError(`${file}:${(error as { line?: number }).line ?? 1}: ${(error as Error).message}`);
  }
}
