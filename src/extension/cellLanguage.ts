import type * as vscode from 'vscode';

/**
 * SQL cells show as "PostgreSQL" through a language of their own: VS Code's `sql` is labelled "MS SQL", and
 * relabelling `sql` would rename every .sql file in the window. The record keeps `sql` (DESIGN.md), so the
 * id changes only at the VS Code boundary: reading a record, saving it, and handing a cell to core.
 */
export const SQL_CELL_LANGUAGE = 'cnsql';
const RECORD_SQL = 'sql';

/** The record's language of a cell: VS Code's own `sql` (a user may pick it) and ours are both SQL. */
export function recordLanguage(languageId: string): string {
  return languageId === SQL_CELL_LANGUAGE ? RECORD_SQL : languageId;
}

/** The VS Code language a record's cell opens in. */
export function editorLanguage(recordLanguageId: string): string {
  return recordLanguageId === RECORD_SQL ? SQL_CELL_LANGUAGE : recordLanguageId;
}

/** The record's language of a notebook cell. */
export function cellLanguage(cell: vscode.NotebookCell): string {
  return recordLanguage(cell.document.languageId);
}
