import type { StatementResult } from '../core/sql/client';
import { tableAsCsv, tableAsTsv, type TableText } from '../core/sql/tableText';

/**
 * Copy as TSV and Save as CSV under a result table, in the order it is shown. Saving is a `download` link to a
 * data: URL: a browser downloads it, and VS Code's notebook webview turns the click into its Save dialog
 * (beside the notebook), the same path Jupyter's image downloads take, in the desktop app and code-server.
 */
export function renderTableActions(result: StatementResult, shownOrder: () => readonly number[]): HTMLElement {
  const bar = document.createElement('div');
  bar.className = 'cnbook-actions';
  const status = document.createElement('span');
  status.className = 'cnbook-action-status';
  const table = (): TableText => ({
    columns: result.columns.map((c) => c.name),
    rows: shownOrder().map((i) => result.rows[i] ?? []),
  });
  const copy = document.createElement('button');
  copy.textContent = 'Copy as TSV';
  copy.title = 'Tab-separated, as COPY writes it: NULL is \\N';
  copy.className = 'cnbook-action';
  copy.addEventListener('click', () => {
    void copyText(tableAsTsv(table())).then((ok) => (status.textContent = ok ? copiedNote(result) : 'copy failed'));
  });
  const save = actionLink('Save as CSV', 'Comma-separated, as COPY … CSV writes it: NULL is an empty field');
  save.download = `${result.command.toLowerCase() || 'result'}.csv`;
  // The data: URL is made when clicked, so it holds the order shown at that moment.
  save.addEventListener('mousedown', () => (save.href = csvDataUrl(tableAsCsv(table()))));
  save.addEventListener('focus', () => (save.href = csvDataUrl(tableAsCsv(table()))));
  save.href = csvDataUrl(tableAsCsv(table()));
  bar.append(copy, ' · ', save, status);
  return bar;
}

function actionLink(text: string, title: string): HTMLAnchorElement {
  const link = document.createElement('a');
  link.textContent = text;
  link.title = title;
  link.className = 'cnbook-action';
  return link;
}

/** What was copied, and that a value the record keeps cut was copied cut. */
function copiedNote(result: StatementResult): string {
  const rows = `${result.rows.length} row${result.rows.length === 1 ? '' : 's'}`;
  const cut = result.cutCells?.length ?? 0;
  const cutNote = cut > 0 ? `, ${cut} value${cut === 1 ? '' : 's'} as cut in the record` : '';
  const truncated = result.truncated ? ` of ${result.rowCount} (the stored ones)` : '';
  return ` copied ${rows}${truncated}${cutNote}`;
}

function csvDataUrl(csv: string): string {
  const bytes = new TextEncoder().encode(csv);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `data:text/csv;charset=utf-8;base64,${btoa(binary)}`;
}

/** The async clipboard where the page may use it; else the older copy command, which webviews also allow. */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}
