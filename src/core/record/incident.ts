import { isObject } from '../format/json';
import type { JsonObject, Notebook } from '../format/model';
import { recordCellKind } from './recordCells';

export const INCIDENT_SEVERITIES = ['sev1', 'sev2', 'sev3', 'sev4'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

/** The `incident:` front matter of a record: what an incident tool needs to file it. */
export interface IncidentFields {
  id: string;
  title: string;
  severity: IncidentSeverity;
  /** ISO time the incident was opened: the escalation clock starts here. */
  opened: string;
  responders: string[];
  /** Who runs the incident, when known at opening. */
  commander?: string;
}

export interface NewIncidentRequest {
  title: string;
  severity?: IncidentSeverity;
  responders: string[];
  commander?: string;
  /** Defaults to a name made from the opening time and a random suffix (`INC-20261201-1542-k3f9`). */
  id?: string;
  now: Date;
  /** The source of the id's random suffix (Math.random unless a test gives one). */
  random?: () => number;
}

/** Thrown for a request that cannot make an incident (an empty title, an unknown severity). */
export class IncidentRequestError extends Error {}

/**
 * A new incident record from a runbook: the runbook's cells and parameters, with `incident:` filled and
 * outputs, executions and any earlier diagnosis or timeline left behind (a runbook may be a used record).
 */
export function newIncident(runbook: Notebook, request: NewIncidentRequest): Notebook {
  const incident = incidentFields(request);
  const kept = isObject(runbook.frontMatter.incident) ? runbook.frontMatter.incident : {};
  // The runbook's own incident keys (a commander placeholder) stay, after ours.
  const frontMatter: JsonObject = { ...runbook.frontMatter, incident: { ...incident, ...omit(kept, incident) } };
  const cells = runbook.cells
    .filter((cell) => !isRecordCell(cell.metadata))
    .map((cell) => {
      if (cell.kind === 'markdown') return { ...cell };
      const { outputs: _outputs, execution: _execution, ...rest } = cell;
      return rest;
    });
  return { frontMatter, cells };
}

export function incidentFields(request: NewIncidentRequest): IncidentFields {
  const title = request.title.trim();
  if (!title) throw new IncidentRequestError('an incident needs a title');
  const severity = request.severity ?? 'sev2';
  if (!INCIDENT_SEVERITIES.includes(severity)) {
    throw new IncidentRequestError(`severity '${severity}' is not one of ${INCIDENT_SEVERITIES.join(', ')}`);
  }
  const opened = request.now.toISOString();
  const id = request.id?.trim() || defaultIncidentId(opened, request.random ?? Math.random);
  const responders = [...new Set(request.responders.filter(Boolean))];
  const commander = request.commander?.trim();
  return { id, title, severity, opened, responders, ...(commander ? { commander } : {}) };
}

/**
 * `INC-YYYYMMDD-HHMM-xxxx`: the opening minute for people, and four random base-36 characters (1.7 million)
 * so that two incidents opened in the same minute, by two people or two tools, never share an id.
 */
function defaultIncidentId(opened: string, random: () => number): string {
  const suffix = Array.from({ length: 4 }, () => Math.floor(random() * 36).toString(36)).join('');
  return `INC-${opened.slice(0, 10).replace(/-/g, '')}-${opened.slice(11, 16).replace(':', '')}-${suffix}`;
}

/**
 * Where the record goes: `incidents/YYYY-MM-DD-slug.cnbook` (UTC date of opening); a name already taken
 * gets `-2`, `-3`, ... so an earlier incident of the same day is never overwritten.
 */
export function incidentPath(
  fields: Pick<IncidentFields, 'opened' | 'title'>,
  taken: (path: string) => boolean,
): string {
  const base = `incidents/${fields.opened.slice(0, 10)}-${slug(fields.title)}`;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? `${base}.cnbook` : `${base}-${n}.cnbook`;
    if (!taken(candidate)) return candidate;
  }
}

/** Lower-case ASCII words joined by `-`, at most 60 characters; `incident` when nothing is left. */
export function slug(title: string): string {
  const words = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return words.slice(0, 60).replace(/-+$/, '') || 'incident';
}

function omit(object: JsonObject, keys: object): JsonObject {
  return Object.fromEntries(Object.entries(object).filter(([key]) => !(key in keys)));
}

/** Cells the record writes for itself (diagnosis, timeline): not part of the runbook's steps. */
function isRecordCell(metadata: JsonObject | undefined): boolean {
  return recordCellKind(metadata) !== undefined;
}
