import { assignCellIds, withoutAssignedIds } from './cellIds';
import { textDigest } from './digest';
import { frontMatterLines } from './frontMatter';
import { append, blankLines, FRONT_MATTER_FENCE } from './lines';
import { FORMAT_VERSION, FormatVersion, Notebook } from './model';
import { printCodeCell, printMarkdownCell } from './printCells';

export interface PrintOptions {
  /**
   * The format version to write. By default a notebook read from an older version's file is written in
   * that version while it is unchanged since it was read (it prints as exactly the bytes read), and in
   * FORMAT_VERSION otherwise: a file moves to the current version only when saved with changes.
   */
  version?: FormatVersion;
}

/** Writes a notebook as .cnbook text; reuses the recorded layout wherever the content it stands for is unchanged. */
export function printNotebook(notebook: Notebook, options: PrintOptions = {}): string {
  if (options.version) return printVersion(notebook, options.version);
  const { version, digest } = notebook.layout ?? {};
  if (typeof digest === 'string') {
    // Ids given on open are not a change: the file keeps its bytes until something else changes.
    const unchanged = printVersion(withoutAssignedIds(notebook), version === 1 ? 1 : FORMAT_VERSION);
    if (textDigest(unchanged) === digest) return unchanged;
  }
  return printVersion(notebook, FORMAT_VERSION);
}

/** Gives the code cells of a notebook just read their ids (assignCellIds), keeping its bytes until a change. */
export function withCellIds(notebook: Notebook): Notebook {
  assignCellIds(notebook, (read) => printNotebook(read));
  return notebook;
}

function printVersion(notebook: Notebook, version: FormatVersion): string {
  const layout = notebook.layout ?? {};
  if (typeof layout.emptyText === 'string' && /^\s*$/.test(layout.emptyText) && isEmptyNotebook(notebook))
    return layout.emptyText;
  const out = [
    FRONT_MATTER_FENCE,
    ...frontMatterLines(notebook.frontMatter, layout.frontMatterText, version),
    FRONT_MATTER_FENCE,
  ];
  let afterOpenMarkdown = false;
  notebook.cells.forEach((cell, index) => {
    append(out, blankLines(cell.layout?.blankLinesBefore, cell.layout?.blankLineText, 1));
    if (cell.kind === 'code') {
      append(out, printCodeCell(cell, version));
      afterOpenMarkdown = false;
    } else {
      const last = index === notebook.cells.length - 1;
      const printed = printMarkdownCell(cell, { afterOpenMarkdown, last, version });
      append(out, printed.lines);
      afterOpenMarkdown = printed.openEnded;
    }
  });
  append(out, blankLines(layout.blankLinesAtEnd, layout.blankLinesAtEndText, 0));
  let text = out.join('\n') + (layout.finalNewline === false ? '' : '\n');
  if (layout.eol === '\r\n') text = text.replace(/\n/g, '\r\n');
  return layout.bom ? `\uFEFF${text}` : text;
}

/** A new runbook: no cells and nothing in the front matter but the format version. */
function isEmptyNotebook(notebook: Notebook): boolean {
  return notebook.cells.length === 0 && Object.keys(notebook.frontMatter).every((key) => key === 'cnbook');
}
