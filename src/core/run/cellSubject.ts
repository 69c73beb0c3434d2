/** A cell as far as naming it goes: its kind and text. */
export interface NamedCell {
  kind: 'code' | 'markdown';
  source: string;
}

/**
 * What a cell's `-- @expect` check is about, for its findings ("Totals match the items: expected no rows, got
 * 3"): the heading of the step it is in (the last Markdown heading above it), else its position.
 * A `-- @check "…"` label in the cell wins over both (runCodeCell applies it).
 */
export function cellSubject(cells: readonly NamedCell[], index: number): string {
  for (let i = index - 1; i >= 0; i--) {
    const cell = cells[i];
    const heading = cell?.kind === 'markdown' ? lastHeading(cell.source) : null;
    if (heading) return heading;
  }
  return `cell ${index + 1}`;
}

/** The text of the last Markdown heading in `markdown` (`## Step 3: totals` gives "Step 3: totals"). */
export function lastHeading(markdown: string): string | null {
  const headings = markdown.split(/\r?\n/).filter((line) => /^#{1,6}\s/.test(line));
  const last = headings[headings.length - 1];
  return last ? last.replace(/^#+\s*/, '').trim() : null;
}
