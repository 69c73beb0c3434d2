import type { ActivationFunction } from 'vscode-notebook-renderer';
import type { StatementResult } from '../core/sql/client';
import type { ResultPayload, TargetRun } from '../core/sql/payload';
import { cutCellFinder, cutNote, type CutCell } from '../core/sql/cutValue';
import { isNumericType } from '../core/sql/pgTypes';
import { compareNumericText } from '../core/sql/tableText';
import { renderTableActions } from './tableActions';
import { RESULT_STYLE } from './resultStyle';

const MAX_SHOWN_CHARS = 200;

/** Renders SQL results as tables a person can read mid-incident. Every value goes in through textContent. */
export const activate: ActivationFunction = () => ({
  renderOutputItem(item, element) {
    element.replaceChildren(renderPayload(item.json() as ResultPayload));
  },
});

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function renderPayload(payload: ResultPayload): HTMLElement {
  const root = el('div', 'cnbook-result');
  root.append(el('style', undefined, RESULT_STYLE));
  if (payload.comparison) {
    root.append(
      el(
        'div',
        `cnbook-compare ${payload.comparison.agree ? 'agree' : 'differ'}`,
        `${payload.comparison.agree ? '✓' : '≠'} ${payload.comparison.summary}`,
      ),
    );
  }
  const side = el('div', payload.results.length > 1 ? 'cnbook-side-by-side' : 'cnbook-single');
  const odd = new Set(payload.comparison?.odd ?? []);
  for (const run of payload.results) {
    const box = renderRun(run, payload.comparison?.differingRows[run.connection] ?? []);
    // The connection the majority disagrees with is named as the odd one out.
    if (odd.has(run.connection)) box.classList.add('odd');
    if (odd.has(run.connection)) box.querySelector('header')?.append(el('span', 'cnbook-odd', 'odd one out'));
    side.append(box);
  }
  root.append(side);
  return root;
}

function renderRun(run: TargetRun, differing: number[]): HTMLElement {
  const box = el('section', 'cnbook-target');
  const p = run.provenance;
  const head = el('header');
  head.append(el('strong', undefined, run.connection));
  const facts = [
    run.role,
    `${p.host}:${p.port}/${p.database}`,
    p.serverVersion ? `PostgreSQL ${p.serverVersion.split(' ')[0]}` : undefined,
    p.inRecovery === undefined ? undefined : p.inRecovery ? 'standby' : 'primary',
    p.walLsn ? `LSN ${p.walLsn}` : undefined,
    `${p.durationMs} ms`,
    p.readOnly ? 'read-only' : 'READ WRITE',
  ];
  head.append(el('span', 'cnbook-facts', facts.filter(Boolean).join(' · ')));
  head.title = `started ${p.startedAt}, finished ${p.finishedAt}, by ${p.osUser}${p.backendPid ? `, backend pid ${p.backendPid}` : ''}`;
  box.append(head);
  if (run.error) box.append(renderError(run.error));
  const statements = run.statements ?? [];
  statements.forEach((s, i) =>
    box.append(renderStatement(s, i === statements.length - 1 ? new Set(differing) : new Set())),
  );
  return box;
}

function renderError(error: NonNullable<TargetRun['error']>): HTMLElement {
  const box = el('div', 'cnbook-error');
  box.append(el('div', 'cnbook-error-message', `${error.sqlstate ? `[${error.sqlstate}] ` : ''}${error.message}`));
  if (error.line !== undefined) box.append(el('div', undefined, `at line ${error.line}, column ${error.column}`));
  if (error.detail) box.append(el('div', undefined, `DETAIL: ${error.detail}`));
  if (error.hint) box.append(el('div', undefined, `HINT: ${error.hint}`));
  return box;
}

function renderStatement(result: StatementResult, differing: Set<number>): HTMLElement {
  const wrap = el('div', 'cnbook-statement');
  if (result.columns.length === 0) {
    wrap.append(el('div', 'cnbook-command', `${result.command || 'OK'} ${result.rowCount}`));
    return wrap;
  }
  const table = el('table');
  const tbody = el('tbody');
  const order = result.rows.map((_, i) => i);
  const header = el('tr');
  if (differing.size > 0) header.append(el('th', 'cnbook-mark', '≠'));
  result.columns.forEach((column, c) => {
    const th = el('th', isNumericType(column.type) ? 'num' : undefined, column.name);
    th.title = `${column.type} — click to sort`;
    th.addEventListener('click', () => sortBy(order, result, c, th, tbody, differing));
    header.append(th);
  });
  table.append(el('thead'), tbody);
  table.tHead?.append(header);
  fillBody(tbody, order, result, differing);
  const shown = result.truncated
    ? `showing first ${result.rows.length} of ${result.rowCount} rows`
    : `${result.rowCount} row${result.rowCount === 1 ? '' : 's'}`;
  const footer = el('div', 'cnbook-footer', `${shown} · ${result.hash.slice(0, 19)}`);
  wrap.append(
    table,
    footer,
    renderTableActions(result, () => order),
  );
  return wrap;
}

function fillBody(
  tbody: HTMLTableSectionElement,
  order: number[],
  result: StatementResult,
  differing: Set<number>,
): void {
  const cutAt = cutCellFinder(result.cutCells);
  tbody.replaceChildren(
    ...order.map((index) => {
      const tr = el('tr', differing.has(index) ? 'differs' : undefined);
      if (differing.size > 0) tr.append(el('td', 'cnbook-mark', differing.has(index) ? '≠' : ''));
      (result.rows[index] ?? []).forEach((value, c) =>
        tr.append(renderValue(value, isNumericType(result.columns[c]?.type ?? ''), cutAt(index, c))),
      );
      return tr;
    }),
  );
}

function renderValue(value: string | null, numeric: boolean, cut: CutCell | undefined): HTMLTableCellElement {
  if (value === null) return el('td', 'null', 'NULL');
  const shortened = value.length > MAX_SHOWN_CHARS || !!cut;
  const td = el('td', numeric ? 'num' : undefined, shortened ? `${value.slice(0, MAX_SHOWN_CHARS)}…` : value);
  // A cut value says so where it is shown, not only in its tooltip: the record holds only its first bytes.
  if (cut) td.append(el('span', 'cnbook-cut', ` (${cutNote(cut)})`));
  if (shortened || value.includes('\n')) td.title = cut ? `${value}… (${cutNote(cut)})` : value;
  return td;
}

function sortBy(
  order: number[],
  result: StatementResult,
  column: number,
  th: HTMLElement,
  tbody: HTMLTableSectionElement,
  differing: Set<number>,
): void {
  const descending = th.dataset.sort === 'asc';
  th.parentElement?.querySelectorAll('th').forEach((h) => delete h.dataset.sort);
  th.dataset.sort = descending ? 'desc' : 'asc';
  const numeric = isNumericType(result.columns[column]?.type ?? '');
  const key = (i: number) => result.rows[i]?.[column] ?? null;
  order.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    // NULLs last, as PostgreSQL sorts them ascending.
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const cmp = numeric ? compareNumericText(x, y) : x.localeCompare(y);
    return descending ? -cmp : cmp;
  });
  fillBody(tbody, order, result, differing);
}
