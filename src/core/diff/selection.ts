import type { DiffOptions } from './types';

/** What to compare, as a directive or the command line gives it: the table, its key and the columns. */
export type DiffSelection = Pick<DiffOptions, 'table' | 'key' | 'columns' | 'exclude' | 'where'>;

/** The engine's options for a selection, leaving out what was not given (so the engine's defaults apply). */
export function selectionOptions(selection: DiffSelection): DiffSelection {
  const { table, key, columns, exclude, where } = selection;
  return {
    table,
    ...(key ? { key } : {}),
    ...(columns ? { columns } : {}),
    ...(exclude ? { exclude } : {}),
    ...(where ? { where } : {}),
  };
}
