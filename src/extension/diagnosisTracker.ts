import * as vscode from 'vscode';
import { buildMapState, type Diagnosis, type Escalation, type HostInfo, type MapState } from '../core/diagnosis';
import { escalationAt } from '../core/diagnosis/escalation';
import {
  cellForNode,
  diagnoseNotebook,
  incidentOpenedAt,
  notebookFindings,
  profileHosts,
  type DiagnosedCell,
} from '../core/diagnosis/notebook';
import type { JsonObject } from '../core/format/model';
import type { Finding } from '../core/probes/types';
import type { CellFindings } from './cellFindings';
import type { ConnectionManager } from './connectionManager';

interface NotebookDiagnosis {
  key: string;
  cells: DiagnosedCell[];
  hosts: HostInfo[];
  diagnosis: Diagnosis;
}

/**
 * Diagnoses a runbook with the core's diagnoseNotebook, once per change of the notebook (or of the profile),
 * and tells the map when a cell's outputs changed.
 */
export class DiagnosisTracker implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.NotebookDocument>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private readonly latest = new WeakMap<vscode.NotebookDocument, NotebookDiagnosis>();

  constructor(
    private readonly connections: ConnectionManager,
    private readonly findings: CellFindings,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeNotebookDocument((e) => {
        if (e.notebook.notebookType !== 'cnbook') return;
        this.latest.delete(e.notebook);
        // Cells inserted, moved or deleted renumber the map's links, as new outputs change its states.
        if (e.contentChanges.length > 0 || e.cellChanges.some((c) => c.outputs !== undefined))
          this.changed.fire(e.notebook);
      }),
    );
  }

  /** The diagnosis of the notebook as it stands, with the cells and hosts it was made from. */
  current(notebook: vscode.NotebookDocument): NotebookDiagnosis {
    const hosts = this.hosts();
    const contacts = this.contacts();
    const key = JSON.stringify([notebook.version, hosts, contacts]);
    const cached = this.latest.get(notebook);
    if (cached?.key === key) return cached;
    const cells = this.findings.cells(notebook);
    const frontMatter = (notebook.metadata.frontMatter as JsonObject | undefined) ?? {};
    const diagnosis = diagnoseNotebook({ frontMatter, cells, hosts, contacts, now: new Date().toISOString() });
    const result = { key, cells, hosts, diagnosis };
    this.latest.set(notebook, result);
    return result;
  }

  /** The diagnosis with a cell's findings as a run just made them (before its outputs reach the document). */
  diagnoseWith(notebook: vscode.NotebookDocument, index: number, findings: readonly Finding[]): Diagnosis {
    const { hosts } = this.current(notebook);
    const cells = this.findings.cells(notebook).map((cell) => (cell.index === index ? { ...cell, findings } : cell));
    const frontMatter = (notebook.metadata.frontMatter as JsonObject | undefined) ?? {};
    return diagnoseNotebook({ frontMatter, cells, hosts, contacts: this.contacts(), now: new Date().toISOString() });
  }

  hasFindings(notebook: vscode.NotebookDocument): boolean {
    return notebookFindings(this.current(notebook).cells).length > 0;
  }

  mapState(notebook: vscode.NotebookDocument): MapState {
    const { diagnosis, hosts } = this.current(notebook);
    return buildMapState(diagnosis, hosts, this.escalation(notebook));
  }

  /** The incident's escalation standing now (the diagnosis may be minutes old while the clock runs). */
  escalation(notebook: vscode.NotebookDocument): Escalation | null {
    const frontMatter = (notebook.metadata.frontMatter as JsonObject | undefined) ?? {};
    const type = this.current(notebook).diagnosis.consistencyType;
    return escalationAt(type, incidentOpenedAt(frontMatter), new Date().toISOString(), this.contacts());
  }

  /** The cell whose findings decided a node, so a click on the map can take the user there. */
  cellFor(notebook: vscode.NotebookDocument, chartId: string, nodeId: string): number | undefined {
    const { cells, hosts } = this.current(notebook);
    return cellForNode(cells, hosts, chartId, nodeId);
  }

  private contacts(): Record<string, string> {
    return vscode.workspace.getConfiguration('cnbook').get<Record<string, string>>('escalation') ?? {};
  }

  private hosts(): HostInfo[] {
    try {
      return profileHosts(this.connections.lastBindings());
    } catch {
      // No usable profile yet: the map shows the guide's charts without host nodes.
      return [];
    }
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
