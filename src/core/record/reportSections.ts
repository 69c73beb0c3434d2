import type { Severity } from '../probes/types';
import { formatDuration } from '../util/duration';
import type {
  ActionItem,
  IncidentReport,
  ReportCell,
  ReportMap,
  ReportProblem,
  ReportRun,
  TimelineItem,
} from './reportModel';
import * as text from './reportText';

/**
 * A table cell as plain text, before a renderer escapes it: null where the record has no value, `strong`
 * for what must stand out, `severity` for a finding's severity (each renderer draws it its way).
 */
export type TextCell = string | null | { strong: string } | { severity: Severity };

export interface TextTable {
  head: readonly string[];
  rows: TextCell[][];
}

/** How a renderer draws (and escapes) each kind of cell. */
export interface CellStyle {
  text(value: string | null): string;
  strong(value: string): string;
  severity(severity: Severity): string;
}

/** The rows of a table, each cell drawn in the renderer's style. */
export function drawRows(table: TextTable, style: CellStyle): string[][] {
  return table.rows.map((row) =>
    row.map((c) => {
      if (c === null || typeof c === 'string') return style.text(c);
      return 'strong' in c ? style.strong(c.strong) : style.severity(c.severity);
    }),
  );
}

/**
 * One section of the report: what it shows, as data. The Markdown and HTML renderers walk the same list, so
 * both reports have the same sections in the same order with the same titles and table columns.
 */
export type ReportSection =
  | { kind: 'header'; title: string; fields: [string, string | null][] }
  | { kind: 'summary'; title: string; text: string }
  | { kind: 'diagnosis'; title: string; problems: readonly ReportProblem[]; summary: string; escalation: string | null }
  | { kind: 'map'; title: string; maps: readonly ReportMap[] }
  | { kind: 'actions'; title: string; items: readonly ActionItem[] }
  | { kind: 'timeline'; title: string; table: TextTable }
  | { kind: 'evidence'; title: string; table: TextTable }
  | { kind: 'queries'; title: string; cells: readonly ReportCell[] }
  | { kind: 'runbook'; title: string; texts: readonly string[] };

export type SectionOf<K extends ReportSection['kind']> = Extract<ReportSection, { kind: K }>;

/** The sections of a report in the order of a postmortem; a section with nothing to show is left out. */
export function reportSections(report: IncidentReport): ReportSection[] {
  const summary = text.summaryText(report);
  const sections: (ReportSection | false)[] = [
    { kind: 'header', title: report.title, fields: text.headerFields(report) },
    { kind: 'summary', title: 'Summary', text: summary },
    report.diagnosis !== null && {
      kind: 'diagnosis',
      title: 'Diagnosis',
      problems: report.problems,
      summary,
      escalation: text.escalationText(report),
    },
    report.maps.length > 0 && { kind: 'map', title: 'Investigation map', maps: report.maps },
    report.actions.length > 0 && { kind: 'actions', title: 'Action items', items: report.actions },
    report.timeline.length > 0 && { kind: 'timeline', title: 'Timeline', table: timelineTable(report.timeline) },
    report.evidence.length > 0 && { kind: 'evidence', title: 'Evidence', table: evidenceTable(report) },
    report.cells.length > 0 && { kind: 'queries', title: 'Queries and probes', cells: report.cells },
    report.runbookText.length > 0 && { kind: 'runbook', title: 'Appendix: the runbook', texts: report.runbookText },
  ];
  return sections.filter((s): s is ReportSection => s !== false);
}

function timelineTable(items: readonly TimelineItem[]): TextTable {
  return {
    head: ['Time', 'Who', 'Cell', 'Connections', 'What', 'Findings'],
    rows: items.map((t) => [
      text.readableTime(t.time),
      t.who ?? '',
      t.cell === null ? '' : String(t.cell),
      t.connections.join(', '),
      t.what,
      text.severitiesText(t),
    ]),
  };
}

function evidenceTable(report: IncidentReport): TextTable {
  return {
    head: ['Severity', 'Probe', 'Target', 'Summary', 'Cell'],
    rows: report.evidence.map((f) => [{ severity: f.severity }, f.probe, f.target, f.summary, String(f.cell)]),
  };
}

/** Where each connection's result of a SQL cell came from, one row a connection. */
export function provenanceTable(runs: readonly ReportRun[]): TextTable {
  return {
    head: [
      'Connection',
      'Role',
      'Server',
      'Version',
      'Recovery',
      'LSN',
      'Started',
      'Took',
      'Rows',
      'User (OS user)',
      'Mode',
    ],
    rows: runs.map(({ provenance: p, connection, role }) => [
      connection,
      role,
      text.serverText(p),
      p.serverVersion ?? null,
      text.recoveryText(p),
      p.walLsn ?? null,
      text.readableTime(p.startedAt),
      formatDuration(p.durationMs),
      String(p.rowCount),
      `${p.user} (${p.osUser})`,
      p.readOnly ? 'read-only' : { strong: 'read-write' },
    ]),
  };
}
