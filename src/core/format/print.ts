import { deepEqual } from '../util/deepEqual';
import { frontMatterLines } from './frontMatter';
import { append, blankLines, FRONT_MATTER_FENCE } from './lines';
import { FORMAT_VERSION, Notebook } from './model';
import { printCodeCell, printMarkdownCell } from './printCells';

/** Writes a notebook as .cnbook text; reuses the recorded layout wherever the content it stands for is unchanged. */
export function printNotebook(notebook: Notebook): string {
  const layout = notebook.layout ?? {};
  if (typeof layout.emptyText === 'string' && /^\s*$/.test(layout.emptyText) && isEmptyNotebook(notebook))
    return layout.emptyText;
  const out = [
    FRONT_MATTER_FENCE,
    ...frontMatterLines(notebook.frontMatter, layout.frontMatterText),
    FRONT_MATTER_FENCE,
  ];
  let afterOpenMarkdown = false;
  notebook.cells.forEach((cell, index) => {
    append(out, blankLines(cell.layout?.blankLinesBefore, cell.layout?.blankLineText, 1));
    if (cell.kind === 'code') {
      append(out, printCodeCell(cell));
      afterOpenMarkdown = false;
    } else {
      const printed = printMarkdownCell(cell, afterOpenMarkdown, index === notebook.cells.length - 1);
      append(out, printed.lines);
      afterOpenMarkdown = printed.openEnded;
    }
  });
  append(out, blankLines(layout.blankLinesAtEnd, layout.blankLinesAtEndText, 0));
  let text = out.join('\n') + (layout.finalNewline === false ? '' : '\n');
  if (layout.eol === '\r\n') text = text.replace(/\n/g, '\r\n');
  return layout.bom ? `\uFEFF${text}` : text;
}

function isEmptyNotebook(notebook: Notebook): boolean {
  return notebook.cells.length === 0 && deepEqual(notebook.frontMatter, { cnbook: FORMAT_VERSION });
}
