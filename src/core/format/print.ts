import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { deepEqual } from '../util/deepEqual';
import { isBlank, scanMarkdown, splitInfo } from './lines';
import { Cell, CELL_LANGUAGES, CodeCell, FORMAT_VERSION, MarkdownCell, Notebook } from './model';
import { commentSafeJson, printOutputsBlock } from './outputsBlock';
import { parseMetadata } from './parse';

/** Writes a notebook as .cnbook text; reuses the recorded layout wherever the content it stands for is unchanged. */
export function printNotebook(notebook: Notebook): string {
  const layout = notebook.layout ?? {};
  if (layout.emptyText !== undefined && notebook.cells.length === 0 && deepEqual(notebook.frontMatter, { cnbook: FORMAT_VERSION })) {
    return layout.emptyText;
  }
  const lines = ['---', ...frontMatterLines(notebook), '---'];
  let previous: Cell | undefined;
  for (const cell of notebook.cells) {
    lines.push(...Array<string>(cell.layout?.blankLinesBefore ?? 1).fill(''));
    lines.push(...(cell.kind === 'code' ? printCodeCell(cell) : printMarkdownCell(cell, previous?.kind === 'markdown')));
    previous = cell;
  }
  lines.push(...Array<string>(layout.blankLinesAtEnd ?? 0).fill(''));
  const text = lines.join('\n') + (layout.finalNewline === false ? '' : '\n');
  return layout.eol === '\r\n' ? text.replace(/\n/g, '\r\n') : text;
}

function frontMatterLines(notebook: Notebook): string[] {
  const recorded = notebook.layout?.frontMatterText;
  const text = recorded !== undefined && deepEqual(safeYaml(recorded), notebook.frontMatter)
    ? recorded
    : stringifyYaml(notebook.frontMatter, { lineWidth: 0 });
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

function safeYaml(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return undefined;
  }
}

function printMarkdownCell(cell: MarkdownCell, afterMarkdown: boolean): string[] {
  const lines = cell.source === '' ? [] : cell.source.split('\n');
  const hasMetadata = cell.metadata !== undefined && Object.keys(cell.metadata).length > 0;
  const json = hasMetadata ? ` ${commentSafeJson(cell.metadata)}` : '';
  if (needsWrapper(lines)) return [`<!-- cnbook:markdown lines=${lines.length}${json} -->`, ...lines];
  return afterMarkdown || hasMetadata ? [`<!-- cnbook:markdown${json} -->`, ...lines] : lines;
}

/** Markdown that would not read back as itself goes into a line-counted wrapper instead. */
function needsWrapper(lines: string[]): boolean {
  if (lines.length === 0 || isBlank(lines[0] ?? '') || isBlank(lines[lines.length - 1] ?? '')) return true;
  const { end, unclosedFence } = scanMarkdown(lines, 0);
  return end !== lines.length || unclosedFence;
}

function printCodeCell(cell: CodeCell): string[] {
  const fence = chooseFence(cell);
  const lines = [`${fence}${chooseInfo(cell)}`, ...cell.source.split('\n'), fence];
  if ((cell.outputs && cell.outputs.length > 0) || cell.execution) lines.push(...printOutputsBlock(cell.outputs ?? [], cell.execution));
  return lines;
}

/** A fence longer than any run of its character that could close it early inside the source. */
function chooseFence(cell: CodeCell): string {
  const recorded = cell.layout?.fence;
  const char = recorded?.startsWith('~') ? '~' : '`';
  const pattern = char === '`' ? /^ {0,3}(`+)/ : /^ {0,3}(~+)/;
  const longest = Math.max(0, ...cell.source.split('\n').map((line) => pattern.exec(line)?.[1]?.length ?? 0));
  if (recorded && recorded.length > longest) return recorded;
  return char.repeat(Math.max(3, longest + 1));
}

function chooseInfo(cell: CodeCell): string {
  const recorded = cell.layout?.info;
  if (recorded !== undefined && infoMatches(recorded, cell)) return recorded;
  const metadata = cell.metadata ?? {};
  const needsJson = Object.keys(metadata).length > 0 || !CELL_LANGUAGES.includes(cell.language);
  // A backtick fence's info string may not contain backticks; JSON lets us escape them.
  return needsJson ? `${cell.language} ${JSON.stringify(metadata).replace(/`/g, '\\u0060')}` : cell.language;
}

function infoMatches(info: string, cell: CodeCell): boolean {
  const { language, json } = splitInfo(info);
  if (language !== cell.language) return false;
  try {
    return deepEqual(parseMetadata(language, json, 0) ?? {}, cell.metadata ?? {});
  } catch {
    return false;
  }
}

