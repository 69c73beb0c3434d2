import { deepEqual } from '../util/deepEqual';
import { infoJson, isEmptyObject, tryMetadata } from './json';
import { blankLines, cellOpener, closesFence, isBlank, longestLeadingRun, scanMarkdown } from './lines';
import { markerText, readMarkerText } from './markers';
import { CELL_LANGUAGES, CodeCell, FormatVersion, JsonObject, MarkdownCell } from './model';
import { printOutputs } from './outputsBlock';

/*
 * Each printer reuses a piece of the recorded layout only while the content it stands for is unchanged
 * and it still reads back as that content; otherwise it writes the canonical form.
 */

export function printCodeCell(cell: CodeCell, version: FormatVersion): string[] {
  const layout = cell.layout ?? {};
  const body = cell.source === '' && layout.emptyBodyLines === 0 ? [] : cell.source.split('\n');
  const fence = chooseFence(body, layout.fence);
  const char = fence[0] === '~' ? '~' : '`';
  const recordedClose = layout.closingFence;
  const close =
    typeof recordedClose === 'string' && closesFence(recordedClose, { char, length: fence.length })
      ? recordedClose
      : fence;
  return [`${fence}${chooseInfo(cell, fence)}`, ...body, close, ...printOutputs(cell, version)];
}

/** A fence longer than any run of its character that could close it early inside the source. */
function chooseFence(body: readonly string[], recorded: string | undefined): string {
  const valid = typeof recorded === 'string' && /^(`{3,}|~{3,})$/.test(recorded);
  const char = valid && recorded.startsWith('~') ? '~' : '`';
  const longest = longestLeadingRun(body, char);
  if (valid && recorded.length > longest) return recorded;
  return char.repeat(Math.max(3, longest + 1));
}

function chooseInfo(cell: CodeCell, fence: string): string {
  const recorded = cell.layout?.info;
  if (typeof recorded === 'string' && !recorded.includes('\n')) {
    const opener = cellOpener(`${fence}${recorded}`);
    if (opener?.language === cell.language && sameMetadata(tryMetadata(opener.language, opener.json), cell.metadata))
      return recorded;
  }
  const needsJson = !isEmptyObject(cell.metadata) || !CELL_LANGUAGES.includes(cell.language);
  return needsJson ? `${cell.language} ${infoJson(cell.metadata ?? {})}` : cell.language;
}

function sameMetadata(read: JsonObject | undefined | null, metadata: JsonObject | undefined): boolean {
  return read !== null && deepEqual(read ?? {}, metadata ?? {});
}

export interface PrintedMarkdown {
  lines: string[];
  /** Whether the cell's text runs on until the next block, so that Markdown after it needs a marker. */
  openEnded: boolean;
}

export interface MarkdownPlace {
  /** The cell follows open-ended Markdown. */
  afterOpenMarkdown: boolean;
  /** No block follows the cell. */
  last: boolean;
  version: FormatVersion;
}

export function printMarkdownCell(cell: MarkdownCell, place: MarkdownPlace): PrintedMarkdown {
  const layout = cell.layout ?? {};
  const lines = cell.source === '' ? [] : cell.source.split('\n');
  const metadata = isEmptyObject(cell.metadata) ? undefined : cell.metadata;
  const recorded = readMarker(layout.marker, place.version);
  const form = markdownForm(lines, recorded, place.afterOpenMarkdown || metadata !== undefined, place);
  const marker = (count: number | undefined) => markerLine(layout.marker, recorded, count, metadata, place.version);
  if (form === 'bare') return { lines, openEnded: true };
  if (form === 'marker') {
    const blanks = blankLines(layout.blankLinesAfterMarker?.length, layout.blankLinesAfterMarker, 0);
    return { lines: [marker(undefined), ...blanks, ...lines], openEnded: true };
  }
  const body = lines.length === 0 && layout.emptyBodyLines === 1 ? [''] : lines;
  return { lines: [marker(body.length), ...body], openEnded: false };
}

/**
 * Bare text when it reads back as itself; a marker when it must be told apart from the Markdown before
 * it (or was written with one); a line-counted wrapper when the text would not read back as itself.
 */
function markdownForm(
  lines: readonly string[],
  recorded: Marker | undefined,
  needsMarker: boolean,
  place: MarkdownPlace,
): 'bare' | 'marker' | 'wrapper' {
  if (recorded?.count !== undefined) return 'wrapper';
  // After a plain marker an empty cell reads back as empty: the next block is a cell or a marker.
  if (needsWrapper(lines, place)) return recorded && lines.length === 0 ? 'marker' : 'wrapper';
  return recorded || needsMarker ? 'marker' : 'bare';
}

function needsWrapper(lines: readonly string[], { last, version }: MarkdownPlace): boolean {
  if (lines.length === 0 || isBlank(lines[0] ?? '') || isBlank(lines[lines.length - 1] ?? '')) return true;
  const { end, unclosedFence } = scanMarkdown(lines, 0, version);
  // An unclosed fence runs to the end of the file: harmless in the last cell, it would swallow any later one.
  return end !== lines.length || (unclosedFence && !last);
}

interface Marker {
  count: number | undefined;
  metadata: JsonObject | undefined;
}

/** A recorded marker (its lines joined with line breaks) that still reads as one marker in this version. */
function readMarker(text: string | undefined, version: FormatVersion): Marker | undefined {
  if (typeof text !== 'string') return undefined;
  const lines = text.split('\n');
  let marker;
  try {
    marker = readMarkerText(lines, 0, version);
  } catch {
    return undefined;
  }
  if (!marker || marker.next !== lines.length) return undefined;
  const metadata = tryMetadata('cnbook:markdown', marker.json);
  return metadata === null ? undefined : { count: marker.count, metadata };
}

function markerLine(
  text: string | undefined,
  recorded: Marker | undefined,
  count: number | undefined,
  metadata: JsonObject | undefined,
  version: FormatVersion,
): string {
  if (text !== undefined && recorded && recorded.count === count && sameMetadata(recorded.metadata, metadata))
    return text;
  return markerText(count, metadata, version);
}
