import { deepEqual } from '../util/deepEqual';
import { CnbookFormatError } from './errors';
import { commentJson, isObject } from './json';
import { OUTPUTS_CLOSE, OUTPUTS_OPEN_PREFIX, OUTPUTS_OPEN_SUFFIX } from './lines';
import { CellOutput, CodeCell, ExecutionSummary } from './model';
import { outputsView } from './outputsView';

export interface OutputsJson {
  execution?: ExecutionSummary;
  outputs: CellOutput[];
}

/** The canonical outputs block of a cell; none when there is nothing to keep. */
export function outputsLines(outputs: readonly CellOutput[], execution: ExecutionSummary | undefined): string[] {
  if (outputs.length === 0 && !execution) return [];
  const data = execution ? { execution, outputs } : { outputs };
  return [`${OUTPUTS_OPEN_PREFIX}${commentJson(data)}${OUTPUTS_OPEN_SUFFIX}`, ...outputsView(outputs), OUTPUTS_CLOSE];
}

/** The block to print: the one recorded from the file while it still holds these outputs, else canonical. */
export function printOutputs(cell: CodeCell): string[] {
  const recorded = cell.layout?.outputsText;
  if (Array.isArray(recorded) && recorded.length > 0 && recordedHolds(recorded, cell)) return [...recorded];
  return outputsLines(cell.outputs ?? [], cell.execution);
}

function recordedHolds(recorded: readonly string[], cell: CodeCell): boolean {
  if (!recorded.every((line) => typeof line === 'string' && !line.includes('\n'))) return false;
  if (!(recorded[0] ?? '').startsWith(OUTPUTS_OPEN_PREFIX)) return false;
  try {
    const { data, next } = readOutputsBlock(recorded, 0);
    return (
      next === recorded.length &&
      deepEqual(data.outputs, cell.outputs ?? []) &&
      deepEqual(data.execution, cell.execution)
    );
  } catch {
    return false;
  }
}

/** Reads an outputs block starting at `start` (its opening line); returns the outputs and the line after it. */
export function readOutputsBlock(lines: readonly string[], start: number): { data: OutputsJson; next: number } {
  const opening = lines[start] ?? '';
  if (
    !opening.endsWith(OUTPUTS_OPEN_SUFFIX) ||
    opening.length < OUTPUTS_OPEN_PREFIX.length + OUTPUTS_OPEN_SUFFIX.length
  ) {
    throw CnbookFormatError.at(
      start + 1,
      'the outputs comment does not end on its line',
      "'-->' at the end of the line",
    );
  }
  const data = parseOutputsJson(opening.slice(OUTPUTS_OPEN_PREFIX.length, -OUTPUTS_OPEN_SUFFIX.length), start + 1);
  for (let i = start + 1; i < lines.length; i++) {
    if (lines[i] === OUTPUTS_CLOSE) return { data, next: i + 1 };
  }
  throw CnbookFormatError.at(start + 1, 'unclosed outputs block opened here', `a line '${OUTPUTS_CLOSE}'`);
}

const OUTPUTS_SHAPE =
  '{"outputs": [{"items": [{"mime": ..., "text" or "base64": ...}], "metadata"?: {...}}], "execution"?: {...}}';

function parseOutputsJson(text: string, line: number): OutputsJson {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw CnbookFormatError.at(line, `bad JSON in the outputs comment (${(error as Error).message})`, OUTPUTS_SHAPE);
  }
  if (!isObject(data) || !Array.isArray(data.outputs) || !data.outputs.every(isOutput)) {
    throw CnbookFormatError.at(line, 'the outputs comment does not hold a list of outputs', OUTPUTS_SHAPE);
  }
  if (data.execution !== undefined && !isObject(data.execution)) {
    throw CnbookFormatError.at(line, '"execution" in the outputs comment is not an object', OUTPUTS_SHAPE);
  }
  return data as unknown as OutputsJson;
}

function isOutput(value: unknown): boolean {
  if (!isObject(value) || !Array.isArray(value.items)) return false;
  if (value.metadata !== undefined && !isObject(value.metadata)) return false;
  return value.items.every(
    (item) =>
      isObject(item) &&
      typeof item.mime === 'string' &&
      (typeof item.text === 'string') !== (typeof item.base64 === 'string'),
  );
}
