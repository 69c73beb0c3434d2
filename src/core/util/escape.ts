/**
 * Escaping for values that come from a database (or any untrusted source) on their way into Markdown,
 * which GitHub and VS Code render with inline HTML enabled: a value is always text, never markup.
 */
const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML[ch] ?? ch);
}

/**
 * Inline Markdown (never at the start of a line): HTML-escaped, and the punctuation that can start
 * emphasis, code, links, strikethrough or a table cell backslash-escaped; line breaks made visible.
 */
export function escapeMarkdownInline(text: string): string {
  return escapeHtml(text)
    .replace(/[\\`*_[\]|~]/g, (ch) => `\\${ch}`)
    .replace(/\r\n|\r|\n/g, '↵ ');
}

/** A value for a Markdown table cell, shortened for reading (the full value stays in the JSON). */
export function markdownTableCell(value: string | null, maxLength = 120): string {
  if (value === null) return '*NULL*';
  if (value === '') return '';
  const shown = value.length > maxLength ? `${value.slice(0, maxLength)}…` : value;
  return escapeMarkdownInline(shown);
}
