import { describeSqlError } from './errors';
import { escapeMarkdownInline, markdownTableCell } from '../util/escape';
import { formatDuration } from '../util/duration';
import { isNumericType } from './pgTypes';
import type { StatementResult } from './client';
import { cutCellFinder, cutNote, type CutCell } from './cutValue';
import type { ResultPayload, TargetRun } from './payload';

/** The readable Markdown of a SQL cell's result: what GitHub shows in a saved record. */
export function renderResultMarkdown(payload: ResultPayload): string {
  const blocks: string[] = [];
  if (payload.comparison) {
    blocks.push(`${payload.comparison.agree ? '✅' : '⚠️'} ${escapeMarkdownInline(payload.comparison.summary)}`);
  }
  const odd = new Set(payload.comparison?.odd ?? []);
  for (const run of payload.results) {
    const block = renderRun(run, payload.comparison?.differingRows[run.connection]);
    blocks.push(odd.has(run.connection) ? `**≠ odd one out:** ${block}` : block);
  }
  return blocks.join('\n\n');
}

function renderRun(run: TargetRun, differing: number[] | undefined): string {
  const lines = [renderProvenanceLine(run)];
  if (run.error) {
    lines.push(
      '',
      ...describeSqlError(run.error)
        .split('\n')
        .map((l, i) => `> ${i === 0 ? '❌ ' : ''}${escapeMarkdownInline(l)}`),
    );
  }
  const statements = run.statements ?? [];
  statements.forEach((statement, index) => {
    const isLast = index === statements.length - 1;
    lines.push('', renderStatement(statement, isLast ? differing : undefined));
  });
  return lines.join('\n');
}

function renderProvenanceLine(run: TargetRun): string {
  const p = run.provenance;
  const parts = [
    `**${escapeMarkdownInline(run.connection)}**`,
    run.role ? escapeMarkdownInline(run.role) : undefined,
    escapeMarkdownInline(`${p.host}:${p.port}/${p.database}`),
    p.serverVersion ? escapeMarkdownInline(`PostgreSQL ${p.serverVersion}`) : undefined,
    p.inRecovery === undefined ? undefined : p.inRecovery ? 'standby' : 'primary',
    p.walLsn ? escapeMarkdownInline(`LSN ${p.walLsn}`) : undefined,
    formatDuration(p.durationMs),
    p.readOnly ? 'read-only' : '**read-write**',
  ];
  return parts.filter(Boolean).join(' · ');
}

function renderStatement(result: StatementResult, differing: number[] | undefined): string {
  if (result.columns.length === 0) {
    return `\`${escapeMarkdownInline(result.command || 'OK')}\` ${result.rowCount} row${result.rowCount === 1 ? '' : 's'}`;
  }
  const marks = differing && differing.length > 0 ? new Set(differing) : undefined;
  const cutAt = cutCellFinder(result.cutCells);
  const header = [...(marks ? ['≠'] : []), ...result.columns.map((c) => escapeMarkdownInline(c.name) || ' ')];
  const align = [...(marks ? [':-:'] : []), ...result.columns.map((c) => (isNumericType(c.type) ? '---:' : '---'))];
  const body = result.rows.map((row, index) => [
    ...(marks ? [marks.has(index) ? '≠' : ''] : []),
    ...row.map((v, c) => cutMarkdownCell(v, cutAt(index, c))),
  ]);
  const table = [header, align, ...body].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
  const shown = result.truncated
    ? `showing first ${result.rows.length} of ${result.rowCount} rows`
    : `${result.rowCount} row${result.rowCount === 1 ? '' : 's'}`;
  return `${table}\n\n*${shown} · ${escapeMarkdownInline(result.hash.slice(0, 19))}*`;
}

/** A table cell for a stored value, saying so when the value is cut (its kept part shortened as any value). */
export function cutMarkdownCell(value: string | null, cut: CutCell | undefined): string {
  if (value === null || !cut) return markdownTableCell(value);
  const shortened = markdownTableCell(value);
  return `${shortened}${shortened.endsWith('…') ? '' : '…'} ${escapeMarkdownInline(`(${cutNote(cut)})`)}`;
}
