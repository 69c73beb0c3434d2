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

/** Characters XML 1.0 forbids (C0 controls but tab and line breaks, lone surrogates, U+FFFE/U+FFFF). */
const NOT_XML =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text or an attribute value for XML (a standalone SVG file) and HTML alike: escaped as escapeHtml does, and
 * the characters that would make the XML ill-formed replaced by U+FFFD, so a hostile value cannot break the file.
 */
export function escapeXml(text: string): string {
  return escapeHtml(text.replace(NOT_XML, '\ufffd'));
}

/**
 * A runbook author's Markdown kept as Markdown (headings, lists, emphasis) but with no raw HTML: every `<`
 * becomes `&lt;`, so no tag, comment or autolink can be opened by the text (a `<` in a code span then reads `&lt;`).
 */
export function escapeMarkdownProse(text: string): string {
  return text.replace(/</g, '&lt;');
}
