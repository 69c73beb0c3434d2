import type { RoleBinding } from '../connections/model';
import { cellIdOf } from '../format/cellIds';
import { isObject } from '../format/json';
import { FINDINGS_MIME, type CellOutput, type JsonObject, type Notebook } from '../format/model';
import { readFindingsOutput } from '../probes/render';
import type { Finding } from '../probes/types';
import { allCharts, type HostInfo } from './charts';
import { bearsOn, diagnose } from './engine';
import type { ConsistencyType, Diagnosis } from './model';
import { runbookSteps } from './steps';

/**
 * A runbook cell as the diagnosis sees it, whether it comes from a file (the CLI) or a live editor (VS Code):
 * the one shape both build, so that both diagnose a notebook the same way.
 */
export interface DiagnosedCell {
  index: number;
  /** The cell's stable id, when it has one. */
  id?: string;
  /** `sql`, `cnprobe`, or `markdown` for a Markdown cell. */
  language: string;
  source: string;
  /** Whether the cell has run: it has an execution result or outputs. */
  ran: boolean;
  findings: readonly Finding[];
}

export interface NotebookDiagnosisInput {
  frontMatter: JsonObject;
  cells: readonly DiagnosedCell[];
  hosts: HostInfo[];
  now: string;
  /** Team handles per consistency type, from settings or the connections file. */
  contacts?: Partial<Record<ConsistencyType, string>>;
}

/** The diagnosis of a notebook as it stands: every finding of every cell, the runbook's steps, its incident. */
export function diagnoseNotebook(input: NotebookDiagnosisInput): Diagnosis {
  const openedAt = incidentOpenedAt(input.frontMatter);
  return diagnose({
    findings: notebookFindings(input.cells),
    hosts: input.hosts,
    now: input.now,
    steps: runbookSteps(input.cells),
    ...(openedAt ? { openedAt } : {}),
    ...(input.contacts ? { contacts: input.contacts } : {}),
  });
}

export function notebookFindings(cells: readonly DiagnosedCell[]): Finding[] {
  return cells.flatMap((cell) => cell.findings);
}

/** The incident's opening time (`incident: { opened: ... }`) when it is a readable time, for escalation. */
export function incidentOpenedAt(frontMatter: JsonObject): string | undefined {
  const incident = frontMatter.incident;
  if (!isObject(incident)) return undefined;
  const opened = incident.opened;
  return typeof opened === 'string' && !Number.isNaN(Date.parse(opened)) ? opened : undefined;
}

/** The hosts of the active profile, in role order: the host nodes of the map. */
export function profileHosts(bindings: ReadonlyMap<string, RoleBinding>): HostInfo[] {
  return [...bindings.values()].flatMap((b) => b.connections.map((c) => ({ connection: c.name, role: b.role })));
}

/**
 * The cells of a notebook read from a file, with the findings stored in their outputs; `known` gives the
 * findings of cells that just ran, so they are not decoded back from the outputs made of them.
 */
export function diagnosedCells(notebook: Notebook, known?: ReadonlyMap<number, readonly Finding[]>): DiagnosedCell[] {
  return notebook.cells.map((cell, index) => {
    if (cell.kind === 'markdown') return { index, language: 'markdown', source: cell.source, ran: false, findings: [] };
    const outputs = cell.outputs ?? [];
    const id = cellIdOf(cell);
    return {
      index,
      ...(id ? { id } : {}),
      language: cell.language,
      source: cell.source,
      ran: cell.execution?.success !== undefined || outputs.length > 0,
      findings: known?.get(index) ?? outputs.flatMap(outputFindings),
    };
  });
}

/** The findings an output holds (none for a result or an error). */
export function outputFindings(output: CellOutput): Finding[] {
  return output.items.flatMap((item) =>
    item.mime === FINDINGS_MIME && item.text !== undefined ? readFindingsOutput(item.text) : [],
  );
}

/** The cell whose findings decided a node of the map, so that a click on the node can go there. */
export function cellForNode(
  cells: readonly DiagnosedCell[],
  hosts: HostInfo[],
  chartId: string,
  nodeId: string,
): number | undefined {
  const node = allCharts(hosts)
    .find((c) => c.id === chartId)
    ?.nodes.find((n) => n.id === nodeId);
  if (!node) return undefined;
  return cells.find((cell) => cell.findings.some((finding) => bearsOn(node, finding)))?.index;
}
