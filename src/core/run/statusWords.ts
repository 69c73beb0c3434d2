import type { Severity } from '../probes/types';

/**
 * The words for whether a cell ran, kept apart from the findings' words: "ok" beside a critical finding read
 * as all clear to someone tired, so a cell that worked "ran" and only its findings carry a colour.
 */
const STATUS_WORD: Record<string, string> = {
  ok: 'ran',
  error: 'failed',
  skipped: 'skipped',
  cancelled: 'cancelled',
  'not-run': 'not run',
};

/** The word for a run status (the typed `ok` | `error` | … a record keeps). */
export function runStatusWord(status: string): string {
  return STATUS_WORD[status] ?? status;
}

const SUMMARY_SEVERITIES: readonly Severity[] = ['critical', 'warning', 'unknown'];

/** "3 critical, 1 warning": the findings that ask for attention, worst first; "" when none do. */
export function findingCounts(severities: readonly Severity[]): string {
  return SUMMARY_SEVERITIES.map((s) => [s, severities.filter((x) => x === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
}

/** "7 cells ran: 3 critical, 1 warning", "5 cells ran, 1 failed, 1 skipped: no findings to act on". */
export function runSummary(statuses: readonly string[], severities: readonly Severity[]): string {
  if (statuses.length === 0) return 'no code cells';
  const count = (status: string) => statuses.filter((x) => x === status).length;
  const ran = count('ok');
  const others = ['error', 'cancelled', 'skipped']
    .filter((s) => count(s) > 0)
    .map((s) => `${count(s)} ${runStatusWord(s)}`);
  const head = [`${ran} cell${ran === 1 ? '' : 's'} ran`, ...others].join(', ');
  return `${head}: ${findingCounts(severities) || 'no findings to act on'}`;
}
