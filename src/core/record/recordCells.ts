import type { JsonObject, MarkdownCell, Notebook } from '../format/model';

/** The Markdown cells a record writes for itself, in the order they sit at the end of the notebook. */
export const RECORD_CELL_ORDER = ['diagnosis', 'timeline'] as const;
export type RecordCellKind = (typeof RECORD_CELL_ORDER)[number];

/** What a record cell needs after an update: nothing, a new cell at an index, or the old one replaced. */
export type RecordCellChange =
  | { kind: 'unchanged' }
  | { kind: 'insert'; index: number; cell: MarkdownCell }
  | { kind: 'replace'; index: number; cell: MarkdownCell };

type CellLike = { metadata?: JsonObject | undefined };

export function recordCellKind(metadata: JsonObject | undefined): RecordCellKind | undefined {
  return RECORD_CELL_ORDER.find((kind) => metadata?.cnbook === kind);
}

export function findRecordCell(cells: readonly CellLike[], kind: RecordCellKind): number {
  return cells.findIndex((c) => recordCellKind(c.metadata) === kind);
}

/**
 * Where a record cell goes: over its old self, else before the record cells that come after it (the
 * diagnosis before the timeline), else at the end.
 */
export function placeRecordCell(
  cells: readonly CellLike[],
  kind: RecordCellKind,
  cell: MarkdownCell,
): RecordCellChange {
  const existing = findRecordCell(cells, kind);
  if (existing >= 0) return { kind: 'replace', index: existing, cell };
  const later = RECORD_CELL_ORDER.slice(RECORD_CELL_ORDER.indexOf(kind) + 1);
  const before = cells.findIndex((c) => later.some((k) => k === recordCellKind(c.metadata)));
  return { kind: 'insert', index: before >= 0 ? before : cells.length, cell };
}

/** Applies a change to a notebook held in memory (the CLI's); a replaced cell keeps its layout. */
export function applyRecordCellChange(notebook: Notebook, change: RecordCellChange): void {
  if (change.kind === 'insert') notebook.cells.splice(change.index, 0, change.cell);
  if (change.kind !== 'replace') return;
  const layout = notebook.cells[change.index]?.layout;
  notebook.cells[change.index] = { ...change.cell, ...(layout ? { layout } : {}) };
}
