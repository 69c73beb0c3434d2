import { deepEqual } from '../util/deepEqual';
import { CnbookFormatError } from './errors';
import { parseMetadata } from './json';
import { MarkerText, readMarkerText } from './markers';
import {
  blankText,
  cellOpener,
  CellInfo,
  closesFence,
  Fence,
  isBlank,
  OUTPUTS_CLOSE,
  OUTPUTS_OPEN_PREFIX,
  scanMarkdown,
} from './lines';
import { Cell, CellLayout, CodeCell, FormatVersion, MarkdownCell } from './model';
import { outputsLines, readOutputsBlock } from './outputsBlock';

export interface Body {
  cells: Cell[];
  /** The blank lines after the last block, as written. */
  blankLinesAtEnd: string[];
}

/** Reads the blocks after the front matter, recording how each was laid out; outputs in the file's format version. */
export function readBody(lines: readonly string[], start: number, version: FormatVersion): Body {
  return new BodyReader(lines, start, version).read();
}

class BodyReader {
  private readonly cells: Cell[] = [];
  private blanks: string[] = [];
  private i: number;

  constructor(
    private readonly lines: readonly string[],
    start: number,
    private readonly version: FormatVersion,
  ) {
    this.i = start;
  }

  read(): Body {
    while (this.i < this.lines.length) {
      const line = this.lines[this.i] ?? '';
      const opener = cellOpener(line);
      const marker = opener ? undefined : readMarkerText(this.lines, this.i, this.version);
      if (isBlank(line)) {
        this.blanks.push(line);
        this.i++;
      } else if (opener) this.push(this.readCodeCell(opener));
      else if (marker) this.push(this.readMarkedMarkdown(marker));
      else if (line.startsWith(OUTPUTS_OPEN_PREFIX)) {
        throw CnbookFormatError.at(
          this.i + 1,
          'outputs block with no code cell right before it',
          "it directly under a code cell's closing fence",
        );
      } else if (line === OUTPUTS_CLOSE) {
        throw CnbookFormatError.at(
          this.i + 1,
          'closing outputs marker with no outputs block open',
          `an opening '${OUTPUTS_OPEN_PREFIX}{...} -->' line before it`,
        );
      } else this.push(this.readMarkdown());
    }
    return { cells: this.cells, blankLinesAtEnd: this.blanks };
  }

  private push(cell: Cell): void {
    const layout: CellLayout = { ...cell.layout, blankLinesBefore: this.blanks.length };
    const text = blankText(this.blanks);
    if (text) layout.blankLineText = text;
    cell.layout = layout;
    this.blanks = [];
    this.cells.push(cell);
  }

  private line(index: number): string {
    return this.lines[index] ?? '';
  }

  private readMarkdown(): MarkdownCell {
    return this.readMarkdownUpTo(this.i, scanMarkdown(this.lines, this.i, this.version).end);
  }

  private readMarkedMarkdown(marker: MarkerText): MarkdownCell {
    const markerLine = this.i;
    const metadata = parseMetadata('cnbook:markdown', marker.json, markerLine + 1);
    this.i = marker.next;
    const cell = marker.count === undefined ? this.readAfterMarker() : this.readWrapped(marker.count, markerLine);
    if (metadata) cell.metadata = metadata;
    cell.layout = { ...cell.layout, marker: this.lines.slice(markerLine, marker.next).join('\n') };
    return cell;
  }

  private readAfterMarker(): MarkdownCell {
    const start = this.i;
    const { end } = scanMarkdown(this.lines, start, this.version);
    let first = start;
    while (first < end && isBlank(this.line(first))) first++;
    const cell = this.readMarkdownUpTo(first, end);
    if (first > start) cell.layout = { ...cell.layout, blankLinesAfterMarker: this.lines.slice(start, first) };
    return cell;
  }

  /** Markdown text from `first` up to the block at `end`, without the blank lines that separate it from that block. */
  private readMarkdownUpTo(first: number, end: number): MarkdownCell {
    let last = end;
    while (last > first && isBlank(this.line(last - 1))) last--;
    this.i = last;
    return { kind: 'markdown', source: this.lines.slice(first, last).join('\n'), layout: { sourceLine: first + 1 } };
  }

  private readWrapped(count: number, markerLine: number): MarkdownCell {
    const start = this.i;
    const available = this.lines.length - start;
    if (count > available) {
      throw CnbookFormatError.at(
        markerLine + 1,
        `markdown wrapper announces ${count} lines but only ${available} follow`,
        `${count} lines after it`,
      );
    }
    const body = this.lines.slice(start, start + count);
    this.i = start + count;
    const layout: CellLayout = { sourceLine: start + 1 };
    if (count === 1 && body[0] === '') layout.emptyBodyLines = 1;
    return { kind: 'markdown', source: body.join('\n'), layout };
  }

  private readCodeCell(opener: Fence & CellInfo): CodeCell {
    const open = this.i;
    const metadata = parseMetadata(opener.language, opener.json, open + 1);
    const close = this.closingLine(open, opener);
    const body = this.lines.slice(open + 1, close);
    const cell: CodeCell = { kind: 'code', language: opener.language, source: body.join('\n') };
    if (metadata) cell.metadata = metadata;
    const fence = opener.char.repeat(opener.length);
    const layout: CellLayout = { fence, info: opener.info, sourceLine: open + 2 };
    if (this.line(close) !== fence) layout.closingFence = this.line(close);
    if (body.length === 0) layout.emptyBodyLines = 0;
    cell.layout = layout;
    this.i = close + 1;
    this.readOutputs(cell, layout);
    return cell;
  }

  private closingLine(open: number, fence: Fence): number {
    for (let i = open + 1; i < this.lines.length; i++) {
      if (closesFence(this.line(i), fence)) return i;
    }
    const run = fence.char.repeat(fence.length);
    throw CnbookFormatError.at(open + 1, 'unclosed code fence opened here', `a closing ${run} line`);
  }

  private readOutputs(cell: CodeCell, layout: CellLayout): void {
    if (!this.line(this.i).startsWith(OUTPUTS_OPEN_PREFIX)) return;
    const { data, next } = readOutputsBlock(this.lines, this.i, this.version);
    if (data.outputs.length > 0) cell.outputs = data.outputs;
    if (data.execution) cell.execution = data.execution;
    const written = this.lines.slice(this.i, next);
    // Only a block the printer would not write the same way is kept: outputs can be megabytes.
    if (!deepEqual(written, outputsLines(cell.outputs ?? [], cell.execution, this.version)))
      layout.outputsText = written;
    this.i = next;
  }
}
