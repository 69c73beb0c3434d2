import { readBody } from './body';
import { readFrontMatter } from './frontMatter';
import { textDigest } from './digest';
import { blankText } from './lines';
import { FORMAT_VERSION, Notebook, NotebookLayout } from './model';
import { decodeUtf8 } from './utf8';

/**
 * Reads a .cnbook file from its bytes: the one way the CLI and VS Code open a file. Bytes that are not UTF-8
 * are refused (InvalidUtf8Error, with the line, column and byte offset) rather than replaced.
 */
export function parseNotebookBytes(bytes: Uint8Array): Notebook {
  return parseNotebook(decodeUtf8(bytes));
}

/** Reads a .cnbook file's text. Throws CnbookFormatError naming the line and what was expected. */
export function parseNotebook(text: string): Notebook {
  // A new runbook is an empty file; keep its exact text so that saving it unchanged writes nothing new.
  if (/^\s*$/.test(text)) return { frontMatter: { cnbook: FORMAT_VERSION }, cells: [], layout: { emptyText: text } };
  const { lines, layout } = splitLines(text);
  const front = readFrontMatter(lines);
  const body = readBody(lines, front.next, front.version);
  layout.frontMatterText = front.text;
  layout.version = front.version;
  if (front.version < FORMAT_VERSION) layout.digest = textDigest(text);
  layout.blankLinesAtEnd = body.blankLinesAtEnd.length;
  const endText = blankText(body.blankLinesAtEnd);
  if (endText) layout.blankLinesAtEndText = endText;
  return { frontMatter: front.data, cells: body.cells, layout };
}

/**
 * Splits the text into lines and records how they were ended. The first line decides: a file whose first
 * line ends in CRLF is read with CRLF as the line break (a stray LF also breaks a line, and saving writes
 * CRLF throughout); otherwise LF is the line break and a \r before it is part of the line's text.
 */
function splitLines(text: string): { lines: string[]; layout: NotebookLayout } {
  const bom = text.startsWith('\uFEFF');
  let body = bom ? text.slice(1) : text;
  const firstBreak = body.indexOf('\n');
  const crlf = firstBreak > 0 && body[firstBreak - 1] === '\r';
  if (crlf) body = body.replace(/\r\n/g, '\n');
  const finalNewline = body.endsWith('\n');
  const lines = (finalNewline ? body.slice(0, -1) : body).split('\n');
  const layout: NotebookLayout = { finalNewline };
  if (crlf) layout.eol = '\r\n';
  if (bom) layout.bom = true;
  return { lines, layout };
}
