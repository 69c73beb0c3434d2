/** The runbook to start an incident with: it scopes the problem and says which of the others to open next. */
export const FIRST_RUNBOOK = 'triage.cnbook';

/** The shipped runbooks' file names as a picker lists them: triage first, then the rest by name. */
export function shippedRunbookOrder(names: readonly string[]): string[] {
  return names
    .filter((name) => name.endsWith('.cnbook'))
    .sort((a, b) => Number(b === FIRST_RUNBOOK) - Number(a === FIRST_RUNBOOK) || a.localeCompare(b));
}
