import { CONSISTENCY_TITLE, ESCALATION_MINUTES, type ConsistencyType, type Escalation } from './model';

/**
 * Where an incident stands against the guide's escalation table at `now`: the limit for its type, the
 * minutes since it opened (null without a readable `incident.opened`), whether escalation is due, and
 * whom to call. Null for a type the table has no limit for (nothing found yet).
 */
export function escalationAt(
  type: ConsistencyType,
  openedAt: string | undefined,
  now: string,
  contacts: Partial<Record<ConsistencyType, string>> | undefined,
): Escalation | null {
  const limit = ESCALATION_MINUTES[type];
  if (limit === undefined) return null;
  const opened = openedAt ? Date.parse(openedAt) : NaN;
  const elapsed = Number.isNaN(opened) ? null : Math.max(0, (Date.parse(now) - opened) / 60_000);
  return {
    consistencyType: type,
    limitMinutes: limit,
    elapsedMinutes: elapsed === null ? null : Math.round(elapsed * 10) / 10,
    due: elapsed !== null && elapsed >= limit,
    contact: contacts?.[type] ?? null,
  };
}

/** One line for a status bar or the map: time left, or overdue with whom to call. Plain text (not escaped). */
export function escalationLine(e: Escalation): string {
  const kind = CONSISTENCY_TITLE[e.consistencyType].toLowerCase();
  if (e.elapsedMinutes === null) return `${kind}: escalate within ${e.limitMinutes} min (set incident.opened)`;
  const left = e.limitMinutes - e.elapsedMinutes;
  if (!e.due) return `${kind}: ${formatMinutes(left)} left to escalate (limit ${e.limitMinutes} min)`;
  const who = e.contact ? `escalate to ${e.contact}` : 'escalate now (no contact set: cnbook.escalation)';
  return `${kind}: overdue by ${formatMinutes(-left)}, ${who}`;
}

function formatMinutes(minutes: number): string {
  if (minutes < 1) return `${Math.max(0, Math.round(minutes * 60))} s`;
  return minutes < 10 ? `${minutes.toFixed(1)} min` : `${Math.round(minutes)} min`;
}
