import { escapeMarkdownInline } from '../util/escape';
import { closesFence, Fence, fenceOpener, opensOutput, OUTPUTS_CLOSE } from './lines';
import { CellOutput, ERROR_MIME } from './model';

/**
 * The readable lines between the outputs markers, for people reading the file (on GitHub, in a diff).
 * The reader ignores them: it only looks for the closing marker, which no view line may equal.
 */
export function outputsView(outputs: readonly CellOutput[]): string[] {
  const view: string[] = [];
  for (const output of outputs) {
    for (const line of outputView(output)) view.push(line === OUTPUTS_CLOSE ? ` ${line}` : line);
  }
  return view;
}

/**
 * Version 2: one output's view, the lines after its comment. A line the reader would take for the start
 * of the next output or the end of the block is written with a leading space.
 */
export function outputViewV2(output: CellOutput): string[] {
  return outputView(output).map((line) => (line === OUTPUTS_CLOSE || opensOutput(line) ? ` ${line}` : line));
}

/** The item a view shows as Markdown (and that version 2 can store as the view): the first text/markdown text. */
export function markdownItemIndex(output: CellOutput): number {
  return output.items.findIndex((item) => item.mime === 'text/markdown' && typeof item.text === 'string');
}

/** Version 2: the text a view stands for, its lines without the empty line written before and after it. */
export function viewText(section: readonly string[]): string {
  const start = section[0] === '' ? 1 : 0;
  const end = section.length > start && section[section.length - 1] === '' ? section.length - 1 : section.length;
  return section.slice(start, end).join('\n');
}

function outputView(output: CellOutput): string[] {
  const text = (mime: string) => output.items.find((item) => item.mime === mime && typeof item.text === 'string')?.text;
  const markdown = output.items[markdownItemIndex(output)]?.text;
  if (markdown !== undefined) return ['', ...sealMarkdown(viewLines(markdown)), ''];
  const plain = text('text/plain');
  if (plain !== undefined) {
    const fence = '`'.repeat(Math.max(3, longestBacktickRun(plain) + 1));
    return ['', `${fence}text`, ...viewLines(plain), fence, ''];
  }
  const error = text(ERROR_MIME);
  if (error !== undefined) return ['', `> **Error:** ${escapeMarkdownInline(errorMessage(error))}`, ''];
  const mimes = output.items.map((item) => escapeMarkdownInline(item.mime)).join(', ');
  return ['', mimes ? `*(output: ${mimes})*` : '*(empty output)*', ''];
}

/** Every line break Markdown knows, so that no view line hides a second line from a Markdown reader. */
function viewLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const match of text.matchAll(/`+/g)) longest = Math.max(longest, match[0].length);
  return longest;
}

function errorMessage(json: string): string {
  try {
    const parsed = JSON.parse(json) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : json;
  } catch {
    return json;
  }
}

/**
 * Closes a fence or an HTML comment block that Markdown output leaves open: on GitHub either would
 * swallow the closing marker and every cell after it.
 */
function sealMarkdown(lines: string[]): string[] {
  let fence: Fence | undefined;
  let comment = false;
  for (const line of lines) {
    if (fence) {
      if (closesFence(line, fence)) fence = undefined;
    } else if (comment) {
      comment = !line.includes('-->');
    } else {
      fence = fenceOpener(line);
      comment = !fence && /^ {0,3}<!--/.test(line) && !line.slice(line.indexOf('<!--') + 4).includes('-->');
    }
  }
  if (fence) return [...lines, fence.char.repeat(fence.length)];
  return comment ? [...lines, '-->'] : lines;
}
