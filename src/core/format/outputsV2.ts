import { CnbookFormatError } from './errors';
import { shallowJson } from './nesting';
import { COMPACT_MIMES, type PayloadContext, compactPayload, expandPayload, resultPayloads } from './compact';
import { commentJson, isObject } from './json';
import { jsonLines } from './jsonLines';
import {
  append,
  COMMENT_END,
  EDITOR_UNSAFE,
  OUTPUT_OPEN,
  OUTPUTS_CLOSE,
  OUTPUTS_OPEN_PREFIX,
  OUTPUTS_OPEN_SUFFIX,
  opensOutput,
} from './lines';
import { CellOutput, ERROR_MIME, ExecutionSummary, JsonObject, OutputItem } from './model';
import type { OutputsJson } from './outputsV1';
import { packOutput, unpackOutput } from './outputsPacked';
import { markdownItemIndex, outputViewV2, viewText } from './outputsView';

/*
 * Version 2: the block's first line holds the execution summary; then each output is a comment holding
 * its JSON (over lines when long) followed by its view. The text/markdown item the view shows is stored
 * as `"view": true` and read back from the view; JSON payloads are stored as JSON values.
 */

/** `<!-- cnbook:outputs -->`: a block whose cell has no execution summary. */
export const OUTPUTS_OPEN_BARE = `${OUTPUTS_OPEN_PREFIX.trimEnd()}${OUTPUTS_OPEN_SUFFIX}`;

export function outputsLinesV2(outputs: readonly CellOutput[], execution: ExecutionSummary | undefined): string[] {
  const header = execution
    ? `${OUTPUTS_OPEN_PREFIX}${commentJson({ execution })}${OUTPUTS_OPEN_SUFFIX}`
    : OUTPUTS_OPEN_BARE;
  const lines = [header];
  outputs.forEach((output, i) => append(lines, outputLines(output, earlierResults(outputs.slice(0, i)))));
  lines.push(OUTPUTS_CLOSE);
  return lines;
}

/** The SQL results of outputs, which the findings after them may take their evidence from. */
function earlierResults(outputs: readonly CellOutput[]): unknown[] {
  return resultPayloads(outputs.flatMap((output) => output.items));
}

function outputLines(output: CellOutput, results: readonly unknown[]): string[] {
  const view = outputViewV2(output);
  const json = jsonLines(storedOutput(output, view, results));
  const comment =
    json.length === 1 ? [`${OUTPUT_OPEN} ${json[0]} ${COMMENT_END}`] : [OUTPUT_OPEN, ...json, COMMENT_END];
  append(comment, view);
  return comment;
}

function storedOutput(output: CellOutput, view: readonly string[], results: readonly unknown[]): JsonObject {
  const index = markdownItemIndex(output);
  const text = output.items[index]?.text;
  // Decided by trying the round trip: the view must read back as exactly this text.
  const viewIndex = text !== undefined && !EDITOR_UNSAFE.test(text) && viewText(view) === text ? index : -1;
  const items = output.items.map((item, i) =>
    i === viewIndex ? { mime: item.mime, view: true } : storedItem(item, { results }),
  );
  return packOutput(output.metadata !== undefined ? { items, metadata: output.metadata } : { items });
}

function storedItem(item: OutputItem, context: PayloadContext): JsonObject {
  if (typeof item.text === 'string' && item.base64 === undefined && COMPACT_MIMES.includes(item.mime)) {
    const compact = compactPayload(item.mime, item.text, context);
    if (compact !== undefined) return { mime: item.mime, compact };
  }
  if (typeof item.text === 'string' && item.base64 === undefined && isJsonMime(item.mime)) {
    const value = exactJson(item.text);
    if (value) return { mime: item.mime, json: value.json };
  }
  return { ...item };
}

function isJsonMime(mime: string): boolean {
  return mime === 'application/json' || mime.endsWith('+json') || mime === ERROR_MIME;
}

/** The JSON value of a text that JSON.stringify writes back exactly (same spacing, key order, numbers). */
function exactJson(text: string): { json: unknown } | undefined {
  try {
    const json: unknown = JSON.parse(text);
    return JSON.stringify(json) === text ? { json } : undefined;
  } catch {
    return undefined;
  }
}

export function readOutputsV2(lines: readonly string[], start: number): { data: OutputsJson; next: number } {
  const execution = readHeader(lines[start] ?? '', start + 1);
  const outputs: CellOutput[] = [];
  let i = start + 1;
  if (i < lines.length && lines[i] !== OUTPUTS_CLOSE && !opensOutput(lines[i] ?? '')) {
    throw CnbookFormatError.at(
      i + 1,
      'a line after the outputs comment that starts no output',
      `an output comment '${OUTPUT_OPEN} {...} -->' or the line '${OUTPUTS_CLOSE}'`,
    );
  }
  for (;;) {
    if (i >= lines.length) throw unclosedBlock(start);
    if (lines[i] === OUTPUTS_CLOSE) return { data: execution ? { execution, outputs } : { outputs }, next: i + 1 };
    const comment = readOutputComment(lines, i);
    let end = comment.next;
    while (end < lines.length && lines[end] !== OUTPUTS_CLOSE && !opensOutput(lines[end] ?? '')) end++;
    if (end >= lines.length) throw unclosedBlock(start);
    const results = earlierResults(outputs);
    outputs.push(restoreOutput(comment.stored, lines.slice(comment.next, end), i + 1, results));
    i = end;
  }
}

function unclosedBlock(start: number): CnbookFormatError {
  return CnbookFormatError.at(start + 1, 'unclosed outputs block opened here', `a line '${OUTPUTS_CLOSE}'`);
}

const HEADER_SHAPE = `'${OUTPUTS_OPEN_BARE}' or '${OUTPUTS_OPEN_PREFIX}{"execution": {...}}${OUTPUTS_OPEN_SUFFIX}'`;

function readHeader(line: string, lineNumber: number): ExecutionSummary | undefined {
  if (line === OUTPUTS_OPEN_BARE) return undefined;
  if (!line.endsWith(OUTPUTS_OPEN_SUFFIX) || line.length < OUTPUTS_OPEN_PREFIX.length + OUTPUTS_OPEN_SUFFIX.length)
    throw CnbookFormatError.at(lineNumber, 'the outputs comment does not end on its line', HEADER_SHAPE);
  const json = line.slice(OUTPUTS_OPEN_PREFIX.length, -OUTPUTS_OPEN_SUFFIX.length);
  const data = parseJson(json, lineNumber, 'outputs comment', HEADER_SHAPE);
  if (isObject(data) && Array.isArray(data.outputs)) {
    const problem = 'an outputs comment of format version 1 in a version 2 file (the front matter says cnbook: 2)';
    throw CnbookFormatError.at(lineNumber, problem, HEADER_SHAPE);
  }
  if (!isObject(data) || Object.keys(data).some((key) => key !== 'execution') || !isObject(data.execution))
    throw CnbookFormatError.at(lineNumber, 'the outputs comment holds more than an execution summary', HEADER_SHAPE);
  return data.execution;
}

/** Reads the comment from `open` to the first line holding `-->`, which must end there. */
function readOutputComment(lines: readonly string[], open: number): { stored: unknown; next: number } {
  let end = open;
  while (end < lines.length && !(lines[end] ?? '').includes(COMMENT_END)) end++;
  if (end >= lines.length || lines[end] === OUTPUTS_CLOSE) {
    const problem = `unclosed output comment opened here${end < lines.length ? ' (the outputs block closes first)' : ''}`;
    throw CnbookFormatError.at(open + 1, problem, `a line ending in '${COMMENT_END}' after its JSON`);
  }
  if (!(lines[end] ?? '').endsWith(COMMENT_END))
    throw CnbookFormatError.at(
      end + 1,
      'text after the --> that ends the output comment',
      `'${COMMENT_END}' at the end of the line`,
    );
  const text = lines.slice(open, end + 1).join('\n');
  const json = text.slice(OUTPUT_OPEN.length, -COMMENT_END.length);
  const stored = parseJson(json, open + 1, 'output comment', OUTPUT_SHAPE, text.slice(0, OUTPUT_OPEN.length));
  return { stored, next: end + 1 };
}

const OUTPUT_SHAPE =
  '{"items": [{"mime": ..., and one of "text", "base64", "json", "compact" or "view": true}], "metadata"?: {...}}' +
  ' or {"findings" or "result": {...}}, with "shapes" when its key lists are stored once';

/** JSON.parse, failing with the line of the error: `before` is the text of the first line ahead of `json`. */
function parseJson(json: string, line: number, where: string, expected: string, before = ''): unknown {
  try {
    return shallowJson(JSON.parse(json) as unknown, line, where, expected);
  } catch (error) {
    if (error instanceof CnbookFormatError) throw error;
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const offset = position ? (before + json).slice(0, before.length + Number(position[1])).split('\n').length - 1 : 0;
    throw CnbookFormatError.at(line + offset, `bad JSON in the ${where} (${message})`, expected);
  }
}

function restoreOutput(packed: unknown, view: readonly string[], line: number, results: unknown[]): CellOutput {
  const problem = (what: string) => CnbookFormatError.at(line, what, OUTPUT_SHAPE);
  const stored = isObject(packed) ? unpackOutput(packed) : packed;
  if (typeof stored === 'string') throw problem(`the output comment does not hold an output: ${stored}`);
  if (!isObject(stored) || !Array.isArray(stored.items)) throw problem('the output comment does not hold an output');
  if (stored.metadata !== undefined && !isObject(stored.metadata))
    throw problem('"metadata" in the output comment is not an object');
  const items = stored.items.map((item: unknown) => restoreItem(item, view) ?? undefined);
  if (items.some((item) => item === undefined))
    throw problem(
      'an item of the output is not {"mime"} with exactly one of "text", "base64", "json", "compact", "view": true',
    );
  if (stored.items.filter((item) => isObject(item) && item.view === true).length > 1)
    throw problem('more than one item of the output is stored as the view');
  const output: CellOutput = { items: items as OutputItem[] };
  expandCompactItems(output, stored.items, line, results);
  if (stored.metadata !== undefined) output.metadata = stored.metadata;
  return output;
}

/** Compact payloads restored from their JSON and, for a check's evidence, the results of earlier outputs. */
function expandCompactItems(output: CellOutput, stored: unknown[], line: number, results: unknown[]): void {
  stored.forEach((item, i) => {
    if (!isObject(item) || !('compact' in item) || typeof item.mime !== 'string') return;
    if (!COMPACT_MIMES.includes(item.mime))
      throw CnbookFormatError.at(line, `an item of type ${item.mime} stored as "compact"`, COMPACT_SHAPE);
    const expanded = expandPayload(item.mime, item.compact, { results });
    if (expanded.problem !== undefined)
      throw CnbookFormatError.at(line, `the compact ${item.mime} item: ${expanded.problem}`, COMPACT_SHAPE);
    output.items[i] = { mime: item.mime, text: expanded.text };
  });
}

const COMPACT_SHAPE = `"compact" only for ${COMPACT_MIMES.join(' and ')}, as the format describes it`;

function restoreItem(item: unknown, view: readonly string[]): OutputItem | undefined {
  if (!isObject(item) || typeof item.mime !== 'string') return undefined;
  const forms = [
    typeof item.text === 'string',
    typeof item.base64 === 'string',
    'json' in item,
    'compact' in item,
    item.view === true,
  ];
  if (forms.filter(Boolean).length !== 1) return undefined;
  if (typeof item.base64 === 'string') return { mime: item.mime, base64: item.base64 };
  if (typeof item.text === 'string') return { mime: item.mime, text: item.text };
  // A compact item is a placeholder until expandCompactItems restores it.
  if ('compact' in item) return { mime: item.mime, text: '' };
  return { mime: item.mime, text: item.view === true ? viewText(view) : JSON.stringify(item.json) };
}
