import { CnbookFormatError } from './errors';
import { shallowJson } from './nesting';
import { commentJson } from './json';
import { jsonLines, JSON_LINE_WIDTH } from './jsonLines';
import { COMMENT_END, MARKDOWN_OPEN, MARKDOWN_OPEN_LINES } from './lines';
import type { FormatVersion, JsonObject } from './model';
import { packMetadata, unpackMetadata } from './packedMetadata';

const PACKED = '{"shapes": [[KEY, ...], ...], "metadata": {...}} (docs/format.md, "Packed outputs and markers")';

/*
 * The `<!-- cnbook:markdown [lines=N] [{metadata}] -->` marker before a Markdown cell. Version 2 writes one
 * whose metadata does not fit on a line over lines (`<!-- cnbook:markdown`, the JSON laid out as output
 * comments are, `-->`), so that a re-run changes the lines of the timeline entry or diagnosis field that
 * changed rather than one line of thousands of characters.
 */

export interface MarkerText {
  /** N of `lines=N`: the cell is the next N lines. */
  count: number | undefined;
  /** The metadata JSON text, empty when there is none. */
  json: string;
  /** The index of the line after the marker. */
  next: number;
}

/** The marker starting at `lines[start]`, or undefined when that line starts none. */
export function readMarkerText(
  lines: readonly string[],
  start: number,
  version: FormatVersion,
): MarkerText | undefined {
  const line = lines[start] ?? '';
  const single = MARKDOWN_OPEN.exec(line);
  if (single) return { count: countOf(single[1]), json: single[2] ?? '', next: start + 1 };
  const open = version >= 2 ? MARKDOWN_OPEN_LINES.exec(line) : null;
  if (!open) return undefined;
  let end = start + 1;
  while (end < lines.length && lines[end] !== COMMENT_END) end++;
  if (end >= lines.length)
    throw CnbookFormatError.at(
      start + 1,
      'unclosed markdown marker opened here',
      `a line '${COMMENT_END}' after its JSON`,
    );
  const json = lines.slice(start + 1, end).join('\n');
  return { count: countOf(open[1]), json: open[2] ? unpackedJson(json, start + 1) : json, next: end + 1 };
}

/** The metadata JSON of a `shapes` marker's packed value (src/core/format/packedMetadata.ts). */
function unpackedJson(json: string, line: number): string {
  let packed: unknown;
  try {
    packed = JSON.parse(json);
  } catch (error) {
    throw CnbookFormatError.at(line + 1, `bad JSON in the markdown marker (${(error as Error).message})`, PACKED);
  }
  shallowJson(packed, line + 1, 'markdown marker', PACKED);
  const metadata = unpackMetadata(packed);
  if (typeof metadata === 'string') throw CnbookFormatError.at(line, `the markdown marker: ${metadata}`, PACKED);
  return JSON.stringify(metadata);
}

function countOf(text: string | undefined): number | undefined {
  return text === undefined ? undefined : Number(text);
}

/** The canonical marker, as the lines of one string (the printer joins lines with line breaks). */
export function markerText(
  count: number | undefined,
  metadata: JsonObject | undefined,
  version: FormatVersion,
): string {
  const head = `<!-- cnbook:markdown${count === undefined ? '' : ` lines=${count}`}`;
  if (!metadata) return `${head} ${COMMENT_END}`;
  const line = `${head} ${commentJson(metadata)} ${COMMENT_END}`;
  if (version === 1 || line.length <= JSON_LINE_WIDTH) return line;
  const packed = packMetadata(metadata);
  if (packed) return [`${head} shapes`, ...jsonLines(packed), COMMENT_END].join('\n');
  return [head, ...jsonLines(metadata), COMMENT_END].join('\n');
}
