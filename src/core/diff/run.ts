import { SqlError } from '../sql/errors';
import { CountingSide } from './counting';
import type { Differences } from './differences';
import type { TableShape } from './schema';
import type { DiffOptions } from './types';

/** One comparison in progress: the agreed shape, both sides (counted), the options and what was found. */
export interface DiffRun {
  shape: TableShape;
  source: CountingSide;
  target: CountingSide;
  timeoutMs: number;
  differences: Differences;
  options: DiffOptions;
}

export function both<T>(
  run: DiffRun,
  work: (side: CountingSide, which: 'source' | 'target') => Promise<T>,
): Promise<[T, T]> {
  return Promise.all([work(run.source, 'source'), work(run.target, 'target')]);
}

export function checkCancelled(run: DiffRun): void {
  if (run.options.signal?.aborted) throw new SqlError({ kind: 'cancelled', message: 'the diff was cancelled' });
}

export function isTimeout(error: unknown): boolean {
  return error instanceof SqlError && error.kind === 'timeout';
}
