import { textDigest } from './digest';
import type { Cell, JsonObject, Notebook } from './model';

/**
 * A code cell's stable id, kept in its metadata (`{"id": "..."}` in the fence's info string): what the
 * timeline, the diagnosis and the map refer to a cell by, so references survive cells inserted or moved.
 * "cell N" is only ever drawn from where that id stands now.
 */
export const CELL_ID_KEY = 'id';

type WithMetadata = { metadata?: JsonObject | undefined };

export function cellIdOf(cell: WithMetadata | undefined): string | undefined {
  const id = cell?.metadata?.[CELL_ID_KEY];
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** A short random id not among `taken` (8 base-36 characters: collisions within one notebook are retried). */
export function newCellId(taken: ReadonlySet<string>, random: () => number = Math.random): string {
  for (;;) {
    const id = Array.from({ length: 8 }, () => Math.floor(random() * 36).toString(36)).join('');
    if (!taken.has(id)) return id;
  }
}

/** The ids each code cell should have: its own, or a new one when it has none or one an earlier cell holds. */
export function cellIdsNeeded(cells: readonly (WithMetadata & { kind?: string })[]): Map<number, string> {
  const taken = new Set<string>();
  const missing: number[] = [];
  cells.forEach((cell, index) => {
    if (cell.kind === 'markdown') return;
    const id = cellIdOf(cell);
    if (id === undefined || taken.has(id)) missing.push(index);
    else taken.add(id);
  });
  const needed = new Map<number, string>();
  for (const index of missing) {
    const id = newCellId(taken);
    taken.add(id);
    needed.set(index, id);
  }
  return needed;
}

/**
 * Gives every code cell of a notebook just read an id (the CLI and VS Code call it on open). The ids it adds
 * are marked in the cells' layout and the notebook keeps a digest of the text it printed as, so that
 * printing the notebook unchanged still gives the bytes read (printNotebook leaves the added ids out while
 * nothing else changed): a file gets its ids when it is saved with a change.
 */
export function assignCellIds(notebook: Notebook, print: (notebook: Notebook) => string): void {
  const needed = cellIdsNeeded(notebook.cells);
  if (needed.size === 0) return;
  notebook.layout = { ...notebook.layout, digest: notebook.layout?.digest ?? textDigest(print(notebook)) };
  for (const [index, id] of needed) {
    const cell = notebook.cells[index]!;
    cell.metadata = { ...cell.metadata, [CELL_ID_KEY]: id };
    cell.layout = { ...cell.layout, assignedId: id };
  }
}

/** The notebook as it was read: the ids assignCellIds added taken out again. */
export function withoutAssignedIds(notebook: Notebook): Notebook {
  const cells = notebook.cells.map((cell): Cell => {
    const assigned = cell.layout?.assignedId;
    if (assigned === undefined || cellIdOf(cell) !== assigned) return cell;
    const { [CELL_ID_KEY]: _id, ...metadata } = cell.metadata ?? {};
    const { metadata: _m, ...rest } = cell;
    return Object.keys(metadata).length > 0 ? { ...rest, metadata } : rest;
  });
  return { ...notebook, cells };
}

/** Where a cell stands now (0-based), by its id; `fallback` (the index it had) for a reference without one. */
export function cellIndexNow(cells: readonly WithMetadata[], id: string | undefined, fallback: number): number | null {
  if (id === undefined) return fallback;
  const index = cells.findIndex((cell) => cellIdOf(cell) === id);
  return index >= 0 ? index : null;
}
