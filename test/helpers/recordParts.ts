import { printNotebook, type Cell, type Notebook } from '../../src/core/format';
import type { FormatVersion } from '../../src/core/format/model';

/** Bytes of a record in each format version, split into the parts a reader would name. */
export interface RecordPart {
  part: string;
  v1: number;
  v2: number;
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * Each part is what printing its cells alone adds to an empty notebook with the same front matter (a code
 * cell's outputs are what its outputs add to the cell without them), so the parts add up to the whole but
 * for the blank lines between cells. Layouts are dropped: the sizes are those of the printer's own form.
 */
export function recordParts(notebook: Notebook): RecordPart[] {
  const parts = new Map<string, RecordPart>();
  const size = (cells: Cell[], version: FormatVersion) =>
    bytes(printNotebook({ frontMatter: notebook.frontMatter, cells }, { version }));
  const add = (part: string, cells: Cell[], base: Cell[]) => {
    const row = parts.get(part) ?? { part, v1: 0, v2: 0 };
    row.v1 += size(cells, 1) - size(base, 1);
    row.v2 += size(cells, 2) - size(base, 2);
    parts.set(part, row);
  };
  add('front matter', [], []);
  for (const cell of notebook.cells.map(withoutLayout)) {
    if (cell.kind === 'markdown') {
      const kind = typeof cell.metadata?.cnbook === 'string' ? `${cell.metadata.cnbook} cell` : 'runbook Markdown';
      add(kind, [cell], []);
      continue;
    }
    const bare = { kind: cell.kind, language: cell.language, source: cell.source, metadata: cell.metadata };
    add(`${cell.language} cells (source)`, [bare], []);
    add(`${cell.language} outputs`, [cell], [bare]);
  }
  add('total', notebook.cells.map(withoutLayout), []);
  parts.get('front matter')!.v1 = size([], 1);
  parts.get('front matter')!.v2 = size([], 2);
  return [...parts.values()];
}

function withoutLayout(cell: Cell): Cell {
  const { layout: _layout, ...rest } = cell;
  return rest;
}

/** The parts as a table for a test's log and the notes: bytes in each version and the share version 2 keeps. */
export function partsTable(parts: RecordPart[]): string {
  const rows = parts.map((p) => `| ${p.part} | ${p.v1} | ${p.v2} | ${p.v1 ? (p.v2 / p.v1).toFixed(2) : '-'} |`);
  return ['| part | v1 bytes | v2 bytes | v2/v1 |', '| --- | ---: | ---: | ---: |', ...rows].join('\n');
}
