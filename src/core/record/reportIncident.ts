import type { JsonObject } from '../format/model';
import type { ReportIncident } from './reportModel';

/** The report's title: the incident's, else the runbook's. */
export function titleOf(frontMatter: JsonObject): string {
  const incidentTitle = incidentFields(frontMatter).title;
  const title = frontMatter.title;
  return incidentTitle ?? (typeof title === 'string' && title.trim() !== '' ? title : 'Incident record');
}

/** The `incident:` fields of the front matter; any may be missing or null (a runbook not yet an incident). */
export function incidentFields(frontMatter: JsonObject): ReportIncident {
  const raw = frontMatter.incident;
  const incident: JsonObject =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as JsonObject) : {};
  const text = (value: unknown): string | null =>
    typeof value === 'string' && value.trim() !== ''
      ? value
      : typeof value === 'number'
        ? String(value)
        : value instanceof Date
          ? value.toISOString()
          : null;
  const list = (value: unknown): string[] =>
    Array.isArray(value)
      ? value.map(text).filter((v): v is string => v !== null)
      : text(value)
        ? [text(value) ?? '']
        : [];
  return {
    id: text(incident.id),
    title: text(incident.title),
    severity: text(incident.severity),
    opened: text(incident.opened),
    responders: list(incident.responders),
    commander: text(incident.commander),
  };
}
