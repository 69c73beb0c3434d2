import { CnbookFormatError } from './errors';
import type { JsonObject } from './model';
import { shallowJson } from './nesting';

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isEmptyObject(value: JsonObject | undefined): boolean {
  return value === undefined || Object.keys(value).length === 0;
}

/**
 * JSON.stringify with some characters written as \\uXXXX. This is safe because JSON.stringify only puts
 * these characters inside strings. U+2028 and U+2029 are always escaped: editors offer to turn them
 * into line breaks, which would split the line the reader expects in one piece.
 */
function escapedJson(value: unknown, pattern: Escapes): string {
  const json = JSON.stringify(value);
  // Testing first spares most values (short, with nothing to escape) a copy.
  if (!pattern.any.test(json)) return json;
  return json.replace(pattern.all, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

interface Escapes {
  any: RegExp;
  all: RegExp;
}

const escapes = (characters: string): Escapes => ({
  any: new RegExp(`[${characters}\\u2028\\u2029]`),
  all: new RegExp(`[${characters}\\u2028\\u2029]`, 'g'),
});
const IN_COMMENT = escapes('<>&');
const IN_INFO = escapes('`');
const IN_YAML = escapes('\\u0085\\uFEFF');

/** JSON that can sit inside an HTML comment: no `<`, `>` or `&`, so the comment cannot end early. */
export function commentJson(value: unknown): string {
  return escapedJson(value, IN_COMMENT);
}

/** JSON for an info string: a backtick fence's info string may not hold a backtick. */
export function infoJson(value: unknown): string {
  return escapedJson(value, IN_INFO);
}

/** JSON for a YAML line: YAML reads a JSON value as the same data once characters it would not keep are escaped. */
export function yamlSafeJson(value: unknown): string {
  return escapedJson(value, IN_YAML);
}

/** Reads the metadata JSON after a language word or marker; an empty object means no metadata. */
export function parseMetadata(after: string, json: string, line: number): JsonObject | undefined {
  if (json === '') return undefined;
  const expected = `a JSON object of cell metadata after '${after}'`;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw CnbookFormatError.at(line, `bad cell metadata JSON (${(error as Error).message})`, expected);
  }
  if (!isObject(value)) throw CnbookFormatError.at(line, `the cell metadata is not a JSON object: '${json}'`, expected);
  shallowJson(value, line, 'cell metadata JSON', expected);
  return isEmptyObject(value) ? undefined : value;
}

/** parseMetadata for the printer's checks of recorded layout: undefined for no metadata, null for unreadable. */
export function tryMetadata(after: string, json: string): JsonObject | undefined | null {
  try {
    return parseMetadata(after, json, 0);
  } catch {
    return null;
  }
}
