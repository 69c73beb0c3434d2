import { CnbookFormatError } from './errors';
import { shallowJson } from './nesting';
import { commentJson, isObject } from './json';
import { OUTPUTS_CLOSE, OUTPUTS_OPEN_PREFIX, OUTPUTS_OPEN_SUFFIX } from './lines';
import type { CellOutput, ExecutionSummary } from './model';
import { outputsView } from './outputsView';

/*
 * Version 1 (read, and written again only for a file saved unchanged): one comment line holding every
 * output as JSON, then a view that the reader ignores.
 */

export interface OutputsJson {
  execution?: ExecutionSummary;
  outputs: CellOutput[];
}

export function outputsLinesV1(outputs: readonly CellOutput[], execution: ExecutionSummary | undefined): string[] {
  const data = execution ? { execution, outputs } : { outputs };
  return [`${OUTPUTS_OPEN_PREFIX}${commentJson(data)}${OUTPUTS_OPEN_SUFFIX}`, ...outputsView(outputs), OUTPUTS_CLOSE];
}

export function readOutputsV1(lines: readonly string[], start: number): { data: OutputsJson; next: number } {
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
  shallowJson(data, line, 'outputs comment', OUTPUTS_SHAPE);
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
