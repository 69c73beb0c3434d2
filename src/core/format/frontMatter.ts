import { Document, isMap, isScalar, LineCounter, parseDocument, stringify } from 'yaml';
import { deepEqual } from '../util/deepEqual';
import { CnbookFormatError } from './errors';
import { isObject, yamlSafeJson } from './json';
import { FRONT_MATTER_FENCE } from './lines';
import { FORMAT_VERSION, JsonObject } from './model';

export interface FrontMatter {
  data: JsonObject;
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
      "a line '---' opening the YAML front matter (a runbook starts with ---, cnbook: 1, ---)",
    );
  }
  const close = lines.indexOf(FRONT_MATTER_FENCE, 1);
  if (close === -1)
    throw CnbookFormatError.at(1, 'front matter opened here is never closed', "a line '---' closing it");
  const text = close > 1 ? `${lines.slice(1, close).join('\n')}\n` : '';
  return { data: parseFrontMatter(text), text, next: close + 1 };
}

/** File line numbers are YAML line numbers plus one: the opening --- is line 1. */
function parseFrontMatter(text: string): JsonObject {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const problem = document.errors[0];
  if (problem) {
    const line = 1 + (problem.linePos?.[0]?.line ?? 1);
    throw CnbookFormatError.at(line, `YAML error in the front matter: ${problem.message.split('\n')[0]}`, 'valid YAML');
  }
  const data: unknown = document.toJS();
  if (!isObject(data)) throw CnbookFormatError.at(2, 'the front matter is not a YAML mapping', 'key: value lines');
  checkVersion(data.cnbook, 1 + versionLine(document, lineCounter));
  return data;
}

function versionLine(document: Document, lineCounter: LineCounter): number {
  const contents = document.contents;
  if (!isMap(contents)) return 1;
  const pair = contents.items.find((item) => isScalar(item.key) && item.key.value === 'cnbook');
  const offset = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
  return offset === undefined ? 1 : lineCounter.linePos(offset).line;
}

function checkVersion(version: unknown, line: number): void {
  const expected = `'cnbook: ${FORMAT_VERSION}' in the front matter (the format version)`;
  if (version === undefined) throw CnbookFormatError.at(2, 'the front matter has no cnbook format version', expected);
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw CnbookFormatError.at(line, `the format version is ${JSON.stringify(version)}, not a whole number`, expected);
  }
  if (version > FORMAT_VERSION) {
    const message = `written by a newer cnbook (format ${version}); this version reads format ${FORMAT_VERSION}`;
    throw new CnbookFormatError(line, `format ${FORMAT_VERSION} or older`, message);
  }
}

/** The YAML lines between the fences: as recorded while they still mean the same, else canonical. */
export function frontMatterLines(frontMatter: JsonObject, recorded: string | undefined): string[] {
  const text = recorded !== undefined && stillMeans(recorded, frontMatter) ? recorded : canonicalYaml(frontMatter);
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/**
 * Plain YAML when it reads back as the same data and holds no character an editor might take for a line
 * break or strip; otherwise one `"key": value` line per key in JSON, which YAML reads the same way.
 */
function canonicalYaml(frontMatter: JsonObject): string {
  const yaml = stringify(frontMatter, { lineWidth: 0 });
  if (!UNSAFE_IN_YAML.test(yaml) && stillMeans(yaml, frontMatter)) return yaml;
  return Object.entries(frontMatter)
    .map(([key, value]) => `${yamlSafeJson(key)}: ${yamlSafeJson(value)}\n`)
    .join('');
}

const UNSAFE_IN_YAML = /[\r\u0085\u2028\u2029\uFEFF]/;

function stillMeans(text: string, frontMatter: JsonObject): boolean {
  if (typeof text !== 'string' || text.split('\n').includes(FRONT_MATTER_FENCE)) return false;
  const document = parseDocument(text);
  return document.errors.length === 0 && deepEqual(document.toJS(), frontMatter);
}
