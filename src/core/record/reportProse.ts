import { escapeHtml } from '../util/escape';

/**
 * A runbook author's Markdown as HTML, for the report's appendix: headings, paragraphs, lists, fenced code,
 * inline code and bold. A small subset on purpose: everything is escaped first, and only these few tags are
 * made from the escaped text, so no raw HTML in the Markdown can become markup.
 */
export function proseToHtml(markdown: string): string {
  const blocks: string[] = [];
  let paragraph: string[] = [];
  let list: string[] = [];
  let code: string[] | null = null;
  const flush = () => {
    if (paragraph.length > 0) blocks.push(`<p>${inline(paragraph.join(' '))}</p>`);
    if (list.length > 0) blocks.push(`<ul>${list.map((item) => `<li>${inline(item)}</li>`).join('')}</ul>`);
    paragraph = [];
    list = [];
  };
  for (const line of markdown.split(/\r?\n/)) {
    if (code !== null) {
      if (/^\s*(```|~~~)/.test(line)) {
        blocks.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
        code = null;
      } else code.push(line);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const item = /^\s*(?:[-*+]|\d+\.)\s+(.*)$/.exec(line);
    if (/^\s*(```|~~~)/.test(line)) {
      flush();
      code = [];
    } else if (heading) {
      flush();
      const level = Math.min(6, (heading[1] ?? '#').length + 2);
      blocks.push(`<h${level}>${inline(heading[2] ?? '')}</h${level}>`);
    } else if (item) {
      if (paragraph.length > 0) flush();
      list.push(item[1] ?? '');
    } else if (line.trim() === '') flush();
    else if (list.length > 0) list[list.length - 1] += ` ${line.trim()}`;
    else paragraph.push(line.trim());
  }
  flush();
  if (code !== null) blocks.push(`<pre><code>${escapeHtml((code as string[]).join('\n'))}</code></pre>`);
  return blocks.join('\n');
}

/** Inline code and bold, made from text that is already escaped (so their content stays text). */
function inline(markdown: string): string {
  return escapeHtml(markdown)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}
