import { CnbookFormatError } from './errors';
import { OUTPUTS_CLOSE, OUTPUTS_OPEN_PREFIX, OUTPUTS_OPEN_SUFFIX } from './lines';
import { CellOutput, ERROR_MIME, ExecutionSummary, JsonObject } from './model';

interface OutputsJson {
  execution?: ExecutionSummary;
  outputs: CellOutput[];
}

/** JSON that can sit inside an HTML comment: `<`, `>` and `&` only occur in strings, so escaping them is safe. */
export function commentSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function printOutputsBlock(outputs: CellOutput[], execution: ExecutionSummary | undefined): string[] {
  const data: OutputsJson = execution ? { execution, outputs } : { outputs };
  const view = outputs.flatMap((o) => outputView(o)).map((line) => (line === OUTPUTS_CLOSE ? ` ${line}` : line));
  return [`${OUTPUTS_OPEN_PREFIX}${commentSafeJson(data)}${OUTPUTS_OPEN_SUFFIX}`, ...view, OUTPUTS_CLOSE];
}

/** The readable lines of an output; ignored when reading, the JSON above them is the truth. */
function outputView(output: CellOutput): string[] {
  const text = (mime: string) => output.items.find((i) => i.mime === mime)?.text;
  const markdown = text('text/markdown');
  if (markdown !== undefined) return ['', ...markdown.split(/\r?\n/), ''];
  const error = text(ERROR_MIME);
  if (error !== undefined) return ['', `> **Error:** ${errorMessage(error).replace(/[<>&*_`[\]\\]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ')}`, ''];
  const plain = text('text/plain');
  if (plain !== undefined) {
    const longest = Math.max(2, ...[...plain.matchAll(/`+/g)].map((m) => m[0].length));
    const fence = '`'.repeat(longest + 1);
    return ['', `${fence}text`, ...plain.split(/\r?\n/), fence, ''];
  }
  return [`*(output: ${output.items.map((i) => i.mime.replace(/[<>&*_`]/g, '')).join(', ')})*`];
}

function errorMessage(json: string): string {
  try {
    const parsed = JSON.parse(json) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : json;
  } catch {
    return json;
  }
}

/** Reads an outputs block starting at `start` (its opening line); returns the outputs and the line after it. */
export function readOutputsBlock(lines: readonly string[], start: number): { data: OutputsJson; next: number } {
  const opening = lines[start] ?? '';
  if (!opening.endsWith(OUTPUTS_OPEN_SUFFIX)) {
    throw new CnbookFormatError(start + 1, `expected the outputs comment to end with '${OUTPUTS_OPEN_SUFFIX.trim()}' on the same line`);
  }
  const data = parseOutputsJson(opening.slice(OUTPUTS_OPEN_PREFIX.length, -OUTPUTS_OPEN_SUFFIX.length), start + 1);
  for (let i = start + 1; i < lines.length; i++) {
    if (lines[i] === OUTPUTS_CLOSE) return { data, next: i + 1 };
  }
  throw new CnbookFormatError(start + 1, `outputs block opened here is never closed; expected a line '${OUTPUTS_CLOSE}'`);
}

function parseOutputsJson(text: string, line: number): OutputsJson {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CnbookFormatError(line, `expected valid JSON in the outputs comment (${(error as Error).message})`);
  }
  if (!isObject(data) || !Array.isArray(data.outputs) || !data.outputs.every(isOutput)) {
    throw new CnbookFormatError(line, 'expected {"outputs": [{"items": [{"mime": ..., "text" or "base64": ...}]}]} in the outputs comment');
  }
  if (data.execution !== undefined && !isObject(data.execution)) {
    throw new CnbookFormatError(line, 'expected "execution" in the outputs comment to be an object');
  }
  return data as unknown as OutputsJson;
}

function isOutput(value: unknown): boolean {
  if (!isObject(value) || !Array.isArray(value.items)) return false;
  if (value.metadata !== undefined && !isObject(value.metadata)) return false;
  return value.items.every(
    (item) => isObject(item) && typeof item.mime === 'string' && (typeof item.text === 'string') !== (typeof item.base64 === 'string'),
  );
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
