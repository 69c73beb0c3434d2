import { describeJournaledWrite } from './journal';
import { CONSISTENCY_TITLE, type Diagnosis } from '../diagnosis';
import type { Notebook } from '../format/model';
import type { Severity } from '../probes/types';
import { incidentFields } from './reportIncident';
import type { ReportCell, TimelineItem } from './reportModel';
import { entryCellNumber, timelineOf, type TimelineEntry } from './timeline';
import { describeDiagnosisEntry } from './diagnosisEntry';
import { runStatusWord } from '../run/statusWords';

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * The record's timeline: the incident's opening, then the record's own timeline (runs, notes, diagnosis
 * changes) when it has one; for a record without one (written before it existed, or by a tool that does not
 * keep it), each execution of a cell (time, who, connections, outcome, its findings) and the diagnosis at the end.
 */
export function reportTimeline(
  notebook: Notebook,
  cells: readonly ReportCell[],
  diagnosis: Diagnosis | null,
): TimelineItem[] {
  const stored = timelineOf(notebook.cells);
  const items = [
    ...openingItem(notebook),
    ...(stored.length > 0 ? stored.map((entry) => storedItem(entry, notebook.cells)) : timelineFromCells(cells)),
  ];
  items.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const last = items[items.length - 1];
  if (stored.length === 0 && diagnosis && last) items.push(diagnosisItem(diagnosis, last.time));
  return items;
}

/** An entry of the record's timeline as the report shows it. */
export function storedItem(entry: TimelineEntry, cells: Notebook['cells']): TimelineItem {
  const base = { time: entry.at, who: entry.who || null, connections: [] as string[], severities: {} };
  switch (entry.kind) {
    case 'run': {
      const cell = entryCellNumber(entry, cells);
      const where = cell === null ? 'a removed cell' : `cell ${cell}`;
      return {
        ...base,
        cell,
        connections: entry.connections,
        what: `${entry.language} ${where}: ${entry.label} (${runStatusWord(entry.outcome)})`,
        severities: entry.findings,
      };
    }
    case 'note':
      return { ...base, cell: null, what: `Note: ${entry.text}` };
    case 'journal': {
      const cell = entryCellNumber(entry, cells);
      return {
        ...base,
        cell,
        connections: [entry.write.connection],
        what: `Journal of ${cell === null ? 'a removed cell' : `cell ${cell}`}: ${describeJournaledWrite(entry.write)}`,
      };
    }
    case 'diagnosis':
      return {
        ...base,
        cell: null,
        what: `Diagnosis: ${describeDiagnosisEntry(entry, cut)}`,
        // The problems it holds by severity; a record from before they were counted has only the worst.
        severities: entry.problems ?? { [entry.severity]: 1 },
      };
  }
}

function openingItem(notebook: Notebook): TimelineItem[] {
  const incident = incidentFields(notebook.frontMatter);
  if (!incident.opened || Number.isNaN(Date.parse(incident.opened))) return [];
  return [
    {
      time: new Date(Date.parse(incident.opened)).toISOString(),
      who: incident.commander,
      cell: null,
      connections: [],
      what: 'Incident opened',
      severities: {},
    },
  ];
}

export function timelineFromCells(cells: readonly ReportCell[]): TimelineItem[] {
  return cells
    .filter((c) => c.status !== 'not-run' && c.startedAt !== null)
    .map((c) => ({
      time: c.startedAt ?? '',
      who: c.runs[0]?.provenance.osUser ?? null,
      cell: c.number,
      connections: [...new Set([...c.runs.map((r) => r.connection), ...probeConnections(c)])],
      what: `${c.language} cell ${c.number}${c.step ? ` (${c.step})` : ''}: ${runStatusWord(c.status)}`,
      severities: countSeverities(c.findings.map((f) => f.severity)),
    }));
}

/** A probe cell has no provenance: the connections its findings describe say where it looked. */
function probeConnections(cell: ReportCell): string[] {
  return cell.runs.length > 0 ? [] : cell.findings.flatMap((f) => (f.connection === undefined ? [] : [f.connection]));
}

function countSeverities(severities: Severity[]): Partial<Record<Severity, number>> {
  const counts: Partial<Record<Severity, number>> = {};
  for (const s of severities) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

function diagnosisItem(diagnosis: Diagnosis, time: string): TimelineItem {
  return {
    time,
    who: null,
    cell: null,
    connections: [],
    what: `Diagnosis: ${CONSISTENCY_TITLE[diagnosis.consistencyType]}${rootCause(diagnosis.rootCause)}`,
    severities: { [diagnosis.severity]: 1 },
  };
}

const rootCause = (cause: string | null | undefined) => (cause ? `: ${cause}` : '');
