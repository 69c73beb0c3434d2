import { parseDocument } from 'yaml';
import { CnbookFormatError } from './errors';
import { cellOpener, closesFence, isBlank, MARKDOWN_OPEN, OUTPUTS_CLOSE, OUTPUTS_OPEN_PREFIX, scanMarkdown } from './lines';
import { Cell, CodeCell, FORMAT_VERSION, JsonObject, Notebook, NotebookLayout } from './model';
import { isObject, readOutputsBlock } from './outputsBlock';

/** Reads a .cnbook file. Throws CnbookFormatError naming the line and what was expected. */
export function parseNotebook(text: string): Notebook {
  if (/^\s*$/.test(text)) return { frontMatter: { cnbook: FORMAT_VERSION }, cells: [], layout: { emptyText: text } };
  const crlf = text.includes('\r\n') && !/(^|[^\r])\n/.test(text);
  const normalized = crlf ? text.replace(/\r\n/g, '\n') : text;
  const finalNewline = normalized.endsWith('\n');
  const lines = (finalNewline ? normalized.slice(0, -1) : normalized).split('\n');
  const front = readFrontMatter(lines);
  const body = new BodyReader(lines, front.next).read();
  const layout: NotebookLayout = { frontMatterText: front.text, finalNewline, blankLinesAtEnd: body.blankLinesAtEnd };
  if (crlf) layout.eol = '\r\n';
  return { frontMatter: front.data, cells: body.cells, layout };
}

function readFrontMatter(lines: string[]): { data: JsonObject; text: string; next: number } {
  if (lines[0] !== '---') throw new CnbookFormatError(1, "expected '---' opening the YAML front matter (a runbook starts with ---, cnbook: 1, ---)");
  const close = lines.findIndex((line, i) => i > 0 && (line === '---' || line === '...'));
  if (close === -1) throw new CnbookFormatError(1, "front matter opened here is never closed; expected a line '---'");
  const text = close > 1 ? `${lines.slice(1, close).join('\n')}\n` : '';
  const document = parseDocument(text);
  const problem = document.errors[0];
  if (problem) throw new CnbookFormatError(2 + ((problem.linePos?.[0]?.line ?? 1) - 1), `invalid YAML in front matter: ${problem.message.split('\n')[0]}`);
  const data: unknown = document.toJS();
  if (!isObject(data)) throw new CnbookFormatError(2, 'expected the front matter to be a YAML mapping (key: value lines)');
  const versionLine = 2 + Math.max(0, lines.slice(1, close).findIndex((l) => l.startsWith('cnbook:')));
  if (data.cnbook === undefined) throw new CnbookFormatError(2, "expected 'cnbook: 1' in the front matter (the format version)");
  if (typeof data.cnbook !== 'number' || !Number.isInteger(data.cnbook) || data.cnbook < 1) {
    throw new CnbookFormatError(versionLine, `expected the format version 'cnbook: 1', found ${JSON.stringify(data.cnbook)}`);
  }
  if (data.cnbook > FORMAT_VERSION) {
    throw new CnbookFormatError(versionLine, `written by a newer cnbook (format ${data.cnbook}); this version reads format ${FORMAT_VERSION}`);
  }
  return { data, text, next: close + 1 };
}

class BodyReader {
  private readonly cells: Cell[] = [];
  private blanks = 0;
  private i: number;

  constructor(private readonly lines: string[], start: number) {
    this.i = start;
  }

  read(): { cells: Cell[]; blankLinesAtEnd: number } {
    while (this.i < this.lines.length) {
      const line = this.lines[this.i] ?? '';
      const markdownOpen = MARKDOWN_OPEN.exec(line);
      if (isBlank(line)) {
        this.blanks++;
        this.i++;
      } else if (cellOpener(line)) this.readCodeCell();
      else if (markdownOpen) this.readMarkedMarkdown(markdownOpen[1], markdownOpen[2]);
      else if (line.startsWith(OUTPUTS_OPEN_PREFIX)) throw new CnbookFormatError(this.i + 1, 'outputs block with no code cell right before it; expected it directly under a closing fence');
      else if (line === OUTPUTS_CLOSE) throw new CnbookFormatError(this.i + 1, 'closing outputs marker with no opening one');
      else this.readMarkdown(this.i, false);
    }
    return { cells: this.cells, blankLinesAtEnd: this.blanks };
  }

  private push(cell: Cell): void {
    cell.layout = { ...cell.layout, blankLinesBefore: this.blanks };
    this.blanks = 0;
    this.cells.push(cell);
  }

  private readMarkedMarkdown(lineCount: string | undefined, json: string | undefined): void {
    const metadata = parseMetadata('cnbook:markdown', json ?? '', this.i + 1);
    if (lineCount === undefined) this.readMarkdown(this.i + 1, true, metadata);
    else this.readWrapped(Number(lineCount), metadata);
  }

  private readMarkdown(start: number, afterMarker: boolean, metadata?: JsonObject): void {
    const { end } = scanMarkdown(this.lines, start);
    let first = start;
    if (afterMarker) while (first < end && isBlank(this.lines[first] ?? '')) first++;
    let last = end;
    while (last > first && isBlank(this.lines[last - 1] ?? '')) last--;
    this.push({ kind: 'markdown', source: this.lines.slice(first, last).join('\n'), ...(metadata ? { metadata } : {}), layout: { sourceLine: first + 1 } });
    this.i = last;
  }

  private readWrapped(count: number, metadata: JsonObject | undefined): void {
    const start = this.i + 1;
    if (start + count > this.lines.length) {
      throw new CnbookFormatError(this.i + 1, `markdown wrapper announces ${count} lines but only ${this.lines.length - start} follow`);
    }
    const source = count === 0 ? '' : this.lines.slice(start, start + count).join('\n');
    this.push({ kind: 'markdown', source, ...(metadata ? { metadata } : {}), layout: { sourceLine: start + 1 } });
    this.i = start + count;
  }

  private readCodeCell(): void {
    const openLine = this.i;
    const opener = cellOpener(this.lines[openLine] ?? '')!;
    const metadata = parseMetadata(opener.language, opener.json, openLine + 1);
    let close = openLine + 1;
    while (close < this.lines.length && !closesFence(this.lines[close] ?? '', opener)) close++;
    if (close >= this.lines.length) {
      const fence = opener.char.repeat(opener.length);
      throw new CnbookFormatError(openLine + 1, `code cell opened here is never closed; expected a closing ${fence} line`);
    }
    const cell: CodeCell = { kind: 'code', language: opener.language, source: this.lines.slice(openLine + 1, close).join('\n') };
    if (metadata) cell.metadata = metadata;
    cell.layout = { fence: opener.char.repeat(opener.length), info: opener.info, sourceLine: openLine + 2 };
    this.i = close + 1;
    if ((this.lines[this.i] ?? '').startsWith(OUTPUTS_OPEN_PREFIX)) {
      const { data, next } = readOutputsBlock(this.lines, this.i);
      if (data.outputs.length > 0) cell.outputs = data.outputs;
      if (data.execution) cell.execution = data.execution;
      this.i = next;
    }
    this.push(cell);
  }
}

export function parseMetadata(language: string, json: string, line: number): JsonObject | undefined {
  if (json === '') return undefined;
  if (!json.startsWith('{')) throw new CnbookFormatError(line, `expected a JSON object of cell metadata after '${language}', found '${json}'`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new CnbookFormatError(line, `expected valid JSON cell metadata after '${language}' (${(error as Error).message})`);
  }
  if (!isObject(value)) throw new CnbookFormatError(line, `expected the cell metadata after '${language}' to be a JSON object`);
  return Object.keys(value).length > 0 ? value : undefined;
}
