import { allCharts, type ChartId, type ConsistencyType, type Diagnosis, type HostInfo } from '../diagnosis';
import { chartOfType } from '../diagnosis/model';
import { diagnoseNotebook, diagnosedCells, notebookFindings } from '../diagnosis/notebook';
import type { JsonObject, Notebook } from '../format/model';
import { SEVERITY_ORDER, type Finding } from '../probes/types';
import { runbookInfo } from '../run/runbookInfo';
import { isDiagnosisCell } from './diagnosisCell';
import { reportActions } from './reportActions';
import { recordCellKind } from './recordCells';
import { evidenceWindow } from './impactWindow';
import { impactWindow, reportCells } from './reportCells';
import { incidentFields, titleOf } from './reportIncident';
import type { IncidentReport, ReportCell, ReportFinding, ReportMap, ReportProblem } from './reportModel';
import { reportTimeline } from './reportTimeline';

export interface ReportOptions {
  /** The time escalation is judged at; by default the end of the impact window, so two exports agree. */
  now?: string;
  /** Team handles per consistency type; by default the contact the record's diagnosis cell names. */
  contacts?: Partial<Record<ConsistencyType, string>>;
}

/** The report of a parsed record: pure, and the same for the same file (no clock is read unless asked). */
export function buildReport(notebook: Notebook, options: ReportOptions = {}): IncidentReport {
  const cells = reportCells(notebook);
  const window = impactWindow(notebook, cells);
  const diagnosed = diagnosedCells(notebook);
  const findings = notebookFindings(diagnosed);
  const hosts = reportHosts(notebook, cells);
  const contacts = options.contacts ?? storedContacts(notebook);
  const diagnosis =
    findings.length === 0
      ? null
      : diagnoseNotebook({
          frontMatter: notebook.frontMatter,
          cells: diagnosed,
          hosts,
          now: options.now ?? window?.end ?? new Date(0).toISOString(),
          ...(contacts ? { contacts } : {}),
        });
  const problems = diagnosis ? reportProblems(diagnosis) : [];
  const evidence = reportEvidence(cells);
  return {
    title: titleOf(notebook.frontMatter),
    incident: incidentFields(notebook.frontMatter),
    ran: cells.some((c) => c.status !== 'not-run'),
    window,
    impact: evidenceWindow(notebook),
    hosts,
    diagnosis,
    problems,
    maps: diagnosis ? reportMaps(diagnosis, hosts, problems) : [],
    timeline: reportTimeline(notebook, cells, diagnosis),
    cells,
    evidence,
    actions: reportActions({ problems, evidence, cells, diagnosis }),
    runbookText: notebook.cells
      .filter((c) => c.kind === 'markdown' && !isGeneratedCell(c.metadata))
      .map((c) => c.source),
  };
}

/**
 * The problems of a diagnosis, most important first. Today the diagnosis names one; when it lists several
 * (`problems`), this is the one place that reads them.
 */
export function reportProblems(diagnosis: Diagnosis): ReportProblem[] {
  const { consistencyType: type, evidence } = diagnosis;
  // Nothing wrong measured, or nothing measured at all: no problem to report (the next step is an action item).
  if (type === 'none' || (type === 'unknown' && evidence.length === 0)) return [];
  // Every problem the diagnosis names, the primary first; an unknown type (probes that could not measure)
  // is one problem of its own.
  if (diagnosis.problems.length === 0)
    return [{ type, rootCause: diagnosis.rootCause, severity: diagnosis.severity, evidence, next: diagnosis.next }];
  return diagnosis.problems.map((p) => ({
    type: p.type,
    rootCause: p.rootCause,
    severity: p.severity,
    evidence: p.evidence,
    next: p.next,
  }));
}

/** The overall flow, then the chart of each problem's type (once each), with the diagnosis' node states. */
export function reportMaps(diagnosis: Diagnosis, hosts: HostInfo[], problems: readonly ReportProblem[]): ReportMap[] {
  const wanted = new Set<ChartId>(['overall']);
  for (const p of problems) wanted.add(chartOfType(p.type));
  return allCharts(hosts)
    .filter((chart) => wanted.has(chart.id))
    .map((chart) => ({ chart, states: diagnosis.charts[chart.id] }));
}

/**
 * The hosts of the map, read from typed fields only: every connection named in a result's provenance (with
 * its role), then the connection of every finding that describes one (`Finding.connection`). Ordered by the
 * runbook's `roles:` and then by first appearance, as a profile lists them. A record does not store the
 * profile it ran on, so a connection of the profile that returned nothing is not on the map.
 */
export function reportHosts(notebook: Notebook, cells: readonly ReportCell[]): HostInfo[] {
  const seen = new Map<string, HostInfo>();
  for (const run of cells.flatMap((c) => c.runs))
    if (!seen.has(run.connection))
      seen.set(run.connection, { connection: run.connection, ...(run.role ? { role: run.role } : {}) });
  for (const finding of cells.flatMap((c) => c.findings))
    if (finding.connection !== undefined && !seen.has(finding.connection))
      seen.set(finding.connection, { connection: finding.connection });
  const roles = runbookInfo(notebook).declaredRoles ?? [];
  const rank = (h: HostInfo) => (h.role && roles.includes(h.role) ? roles.indexOf(h.role) : roles.length);
  return [...seen.values()]
    .map((h, i) => ({ h, i }))
    .sort((a, b) => rank(a.h) - rank(b.h) || a.i - b.i)
    .map((e) => e.h);
}

function reportEvidence(cells: readonly ReportCell[]): ReportFinding[] {
  const rank = (f: Finding) => SEVERITY_ORDER.length - SEVERITY_ORDER.indexOf(f.severity);
  return cells
    .flatMap((c) => c.findings.map((f) => ({ ...f, cell: c.number })))
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
    .map((e) => e.f);
}

/** Cells the record writes for itself (the diagnosis, the timeline): drawn from their data, not repeated as prose. */
export function isGeneratedCell(metadata: JsonObject | undefined): boolean {
  return recordCellKind(metadata) !== undefined;
}

/** The escalation contact the record's diagnosis cell stored (from the settings of whoever ran it). */
function storedContacts(notebook: Notebook): Partial<Record<ConsistencyType, string>> | undefined {
  const cell = notebook.cells.find((c) => isDiagnosisCell(c.metadata));
  const stored = cell?.metadata?.diagnosis as
    { escalation?: { consistencyType?: unknown; contact?: unknown } } | undefined;
  const type = stored?.escalation?.consistencyType;
  const contact = stored?.escalation?.contact;
  return typeof type === 'string' && typeof contact === 'string' ? { [type]: contact } : undefined;
}
