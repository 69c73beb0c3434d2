import { deepEqual } from '../util/deepEqual';
import { OUTPUTS_OPEN_PREFIX } from './lines';
import type { CellOutput, CodeCell, ExecutionSummary, FormatVersion } from './model';
import { OutputsJson, outputsLinesV1, readOutputsV1 } from './outputsV1';
import { outputsLinesV2, readOutputsV2 } from './outputsV2';

export type { OutputsJson };

/** The canonical outputs block of a cell in a format version; none when there is nothing to keep. */
export function outputsLines(
  outputs: readonly CellOutput[],
  execution: ExecutionSummary | undefined,
  version: FormatVersion,
): string[] {
  if (outputs.length === 0 && !execution) return [];
  return version === 1 ? outputsLinesV1(outputs, execution) : outputsLinesV2(outputs, execution);
}

/** Reads an outputs block starting at `start` (its opening line); returns the outputs and the line after it. */
export function readOutputsBlock(
  lines: readonly string[],
  start: number,
  version: FormatVersion,
): { data: OutputsJson; next: number } {
  return version === 1 ? readOutputsV1(lines, start) : readOutputsV2(lines, start);
}

/** The block to print: the one recorded from the file while it still holds these outputs, else canonical. */
export function printOutputs(cell: CodeCell, version: FormatVersion): string[] {
  const recorded = cell.layout?.outputsText;
  if (Array.isArray(recorded) && recorded.length > 0 && recordedHolds(recorded, cell, version)) return [...recorded];
  return outputsLines(cell.outputs ?? [], cell.execution, version);
}

function recordedHolds(recorded: readonly string[], cell: CodeCell, version: FormatVersion): boolean {
  if (!recorded.every((line) => typeof line === 'string' && !line.includes('\n'))) return false;
  if (!(recorded[0] ?? '').startsWith(OUTPUTS_OPEN_PREFIX)) return false;
  try {
    const { data, next } = readOutputsBlock(recorded, 0, version);
    return (
      next === recorded.length &&
      deepEqual(data.outputs, cell.outputs ?? []) &&
      deepEqual(data.execution, cell.execution)
    );
  } catch {
    return false;
  }
}
