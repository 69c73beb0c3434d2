import { deepEqual } from '../util/deepEqual';
import type { Cell, Notebook } from './model';

/**
 * A notebook's meaning: no layout, no format version (`cnbook` in the front matter: the same notebook
 * can be written in either version), and no empty metadata or empty output list. The file cannot tell
 * those apart from absent ones (a `python {}` cell has no metadata either way, and an empty outputs
 * block is not written), so they are the same notebook.
 */
export function stripLayout(notebook: Notebook): Notebook {
  const { cnbook: _version, ...frontMatter } = notebook.frontMatter;
  return { frontMatter, cells: notebook.cells.map(stripCell) };
}

function stripCell(cell: Cell): Cell {
  const { layout: _layout, ...rest } = cell;
  const copy = { ...rest } as Cell;
  if (copy.metadata && Object.keys(copy.metadata).length === 0) delete copy.metadata;
  if (copy.kind === 'code' && copy.outputs?.length === 0) delete copy.outputs;
  return copy;
}

export function sameNotebook(a: Notebook, b: Notebook): boolean {
  return deepEqual(stripLayout(a), stripLayout(b));
}
