import { Document, isMap, isScalar, LineCounter, parseDocument, Scalar, stringify } from 'yaml';
import { deepEqual } from '../util/deepEqual';
import { CnbookFormatError } from './errors';
import { firstTooDeepLine, FRONT_MATTER_MAX_DEPTH, tooDeep } from './frontMatterDepth';
import { nestingDepth } from './nesting';
import { isObject, yamlSafeJson } from './json';
import { EDITOR_UNSAFE, FRONT_MATTER_FENCE } from './lines';
import { FORMAT_VERSION, FormatVersion, JsonObject } from './model';

export interface FrontMatter {
  data: JsonObject;
  /** The format version the front matter declares (checked: one this code reads). */
  version: FormatVersion;
  /** The YAML text between the fences, each line ending in \n. */
  text: string;
  /** Index of the first line after the closing fence. */
  next: number;
}

export function readFrontMatter(lines: readonly string[]): FrontMatter {
  if (lines[0] !== FRONT_MATTER_FENCE) {
    throw CnbookFormatError.at(
      1,
      'the file does not start with front matter',
      `a line '---' opening the YAML front matter (a runbook starts with ---, cnbook: ${FORMAT_VERSION}, ---)`,
    );
  }
  const close = lines.indexOf(FRONT_MATTER_FENCE, 1);
  if (close === -1)
    throw CnbookFormatError.at(1, 'front matter opened here is never closed', "a line '---' closing it");
  const text = close > 1 ? `${lines.slice(1, close).join('\n')}\n` : '';
  const data = parseFrontMatter(text);
  return { data, version: data.cnbook as FormatVersion, text, next: close + 1 };
}

/** File line numbers are YAML line numbers plus one: the opening --- is line 1. */
function parseFrontMatter(text: string): JsonObject {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const problem = document.errors[0];
  if (problem) {
    const line = 1 + (problem.linePos?.[0]?.line ?? 1);
    // The parser ran out of stack: a nesting far past the limit, which the part it read shows.
    if (problem.code === 'RESOURCE_EXHAUSTION') throw tooDeep(firstTooDeepLine(document, lineCounter) ?? line);
    throw CnbookFormatError.at(line, `YAML error in the front matter: ${problem.message.split('\n')[0]}`, 'valid YAML');
  }
  const deepLine = firstTooDeepLine(document, lineCounter);
  if (deepLine !== undefined) throw tooDeep(deepLine);
  const data = frontMatterData(document);
  if (!isObject(data)) throw CnbookFormatError.at(2, 'the front matter is not a YAML mapping', 'key: value lines');
  checkVersion(data.cnbook, 1 + versionLine(document, lineCounter));
  return data;
}

/** The front matter as data; aliases inside aliases can still nest it past the limit, or past the stack. */
function frontMatterData(document: Document): unknown {
  let data: unknown;
  try {
    data = document.toJS();
  } catch (error) {
    if (error instanceof RangeError) throw tooDeep(2);
    throw error;
  }
  if (nestingDepth(data, FRONT_MATTER_MAX_DEPTH) > FRONT_MATTER_MAX_DEPTH) throw tooDeep(2);
  return data;
}

function versionLine(document: Document, lineCounter: LineCounter): number {
  const offset = versionPair(document)?.key.range?.[0];
  return offset === undefined ? 1 : lineCounter.linePos(offset).line;
}

function versionPair(document: Document): { key: Scalar; value: unknown } | undefined {
  const contents = document.contents;
  if (!isMap(contents)) return undefined;
  const pair = contents.items.find((item) => isScalar(item.key) && item.key.value === 'cnbook');
  return pair && isScalar(pair.key) ? { key: pair.key, value: pair.value } : undefined;
}

function checkVersion(version: unknown, line: number): void {
  const expected = `'cnbook: ${FORMAT_VERSION}' in the front matter (the format version)`;
  if (version === undefined) throw CnbookFormatError.at(2, 'the front matter has no cnbook format version', expected);
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw CnbookFormatError.at(line, `the format version is ${JSON.stringify(version)}, not a whole number`, expected);
  }
  if (version > FORMAT_VERSION) {
    const message = `written by a newer cnbook (format ${version}); this version reads formats 1 to ${FORMAT_VERSION}`;
    throw new CnbookFormatError(line, `format ${FORMAT_VERSION} or older`, message);
  }
}

/**
 * The YAML lines between the fences, declaring `version`: as recorded while they still mean the same;
 * else as recorded with only the version's value rewritten (a file moving to a newer version keeps its
 * comments and layout); else canonical.
 */
export function frontMatterLines(
  frontMatter: JsonObject,
  recorded: string | undefined,
  version: FormatVersion,
): string[] {
  const data = withVersion(frontMatter, version);
  let text = typeof recorded === 'string' && stillMeans(recorded, data) ? recorded : undefined;
  if (text === undefined && typeof recorded === 'string') {
    const rewritten = versionRewritten(recorded, version);
    if (rewritten !== undefined && stillMeans(rewritten, data)) text = rewritten;
  }
  text ??= canonicalYaml(data);
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/** The front matter with `cnbook` set to the version written, in its place (or first when missing). */
function withVersion(frontMatter: JsonObject, version: FormatVersion): JsonObject {
  return Object.prototype.hasOwnProperty.call(frontMatter, 'cnbook')
    ? { ...frontMatter, cnbook: version }
    : { cnbook: version, ...frontMatter };
}

function versionRewritten(text: string, version: FormatVersion): string | undefined {
  const value = versionPair(parseDocument(text))?.value;
  const range = isScalar(value) ? value.range : undefined;
  return range ? `${text.slice(0, range[0])}${version}${text.slice(range[1])}` : undefined;
}

/**
 * Plain YAML when it reads back as the same data and holds no character an editor might take for a line
 * break or strip; otherwise one `"key": value` line per key in JSON, which YAML reads the same way.
 */
function canonicalYaml(frontMatter: JsonObject): string {
  const yaml = stringify(frontMatter, { lineWidth: 0 });
  if (!EDITOR_UNSAFE.test(yaml) && stillMeans(yaml, frontMatter)) return yaml;
  return Object.entries(frontMatter)
    .map(([key, value]) => `${yamlSafeJson(key)}: ${yamlSafeJson(value)}\n`)
    .join('');
}

function stillMeans(text: string, frontMatter: JsonObject): boolean {
  if (typeof text !== 'string' || text.split('\n').includes(FRONT_MATTER_FENCE)) return false;
  const document = parseDocument(text);
  return document.errors.length === 0 && deepEqual(document.toJS(), frontMatter);
}
