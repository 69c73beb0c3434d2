import type { Chart, ChartId, ConsistencyType, Diagnosis, HostInfo, NextStep, NodeStatus } from '../diagnosis';
import type { Finding, Severity } from '../probes/types';
import type { CutCell } from '../sql/cutValue';
import type { SqlErrorFields } from '../sql/errors';
import type { Comparison, Provenance } from '../sql/payload';

/**
 * A postmortem-ready report of an incident record, as data: what the Markdown and HTML renderers draw.
 * Every string in it may come from a database or a runbook author and is escaped by the renderer.
 */
export interface IncidentReport {
  title: string;
  incident: ReportIncident;
  /** Whether any cell of the record has run; a runbook that never ran is still exported, and says so. */
  ran: boolean;
  /** When the record's cells ran (first start to last end): the time the diagnosis is judged at. */
  window: ImpactWindow | null;
  /** When the data was affected, from the timestamps in the evidence; null when the evidence has none. */
  impact: ImpactWindow | null;
  /** The hosts of the map (see reportHosts for where they come from). */
  hosts: HostInfo[];
  /** The diagnosis re-derived from the findings in the file; null when the record holds no finding. */
  diagnosis: Diagnosis | null;
  problems: ReportProblem[];
  /** The charts to draw: the one of each problem's type, the overall flow first. */
  maps: ReportMap[];
  timeline: TimelineItem[];
  cells: ReportCell[];
  /** Every finding of the record, worst first, with the cell it came from. */
  evidence: ReportFinding[];
  actions: ActionItem[];
  /** The runbook's prose (Markdown cells other than the diagnosis), in order, for the appendix. */
  runbookText: string[];
}

export interface ReportIncident {
  id: string | null;
  title: string | null;
  severity: string | null;
  opened: string | null;
  responders: string[];
  commander: string | null;
}

/** A span of time (ISO times): of the runs, or of the affected rows. */
export interface ImpactWindow {
  start: string;
  end: string;
  durationMs: number;
}

/** One problem of the diagnosis, with what is needed to act on it. */
export interface ReportProblem {
  type: ConsistencyType;
  rootCause: string | null;
  severity: Severity;
  evidence: Finding[];
  next: NextStep | null;
}

export interface ReportMap {
  chart: Chart;
  states: Record<string, NodeStatus>;
}

export interface TimelineItem {
  time: string;
  who: string | null;
  /** 1-based cell number, as people count them; null for an entry not tied to a cell. */
  cell: number | null;
  connections: string[];
  what: string;
  severities: Partial<Record<Severity, number>>;
}

export type CellStatus = 'ok' | 'error' | 'cancelled' | 'not-run';

export interface ReportCell {
  /** 1-based cell number in the record. */
  number: number;
  language: string;
  source: string;
  /** The nearest Markdown heading above the cell, for a readable name. */
  step: string | null;
  status: CellStatus;
  startedAt: string | null;
  durationMs: number | null;
  runs: ReportRun[];
  comparison: Comparison | null;
  findings: Finding[];
  /** A message of a cell that never reached a server (bad annotation, unknown role). */
  error: string | null;
}

/** What one connection returned for a SQL cell: its provenance and the shape of its last result. */
export interface ReportRun {
  connection: string;
  role: string | null;
  provenance: Provenance;
  error: SqlErrorFields | null;
  result: ResultSummary | null;
}

export interface ResultSummary {
  command: string;
  columns: string[];
  /** PostgreSQL type names of the columns, to align numbers. */
  columnTypes: string[];
  /** The first rows, bounded by DEFAULT_LIMITS.reportRowsShown. */
  rows: (string | null)[][];
  rowCount: number;
  /** Rows not shown in the report (stored or not). */
  rowsNotShown: number;
  hash: string;
  statements: number;
  /** The shown values that are cut in the record (src/core/sql/cutValue.ts), when there are any. */
  cutCells?: CutCell[];
}

export interface ReportFinding extends Finding {
  cell: number;
}

export type ActionKind = 'next-step' | 'rerun-unknown' | 'escalate' | 'fix-cell';

export interface ActionItem {
  kind: ActionKind;
  text: string;
  /** 1-based cell number it points at, when there is one. */
  cell: number | null;
  chart: ChartId | null;
}
