import * as vscode from 'vscode';
import {
  allCharts,
  bearsOn,
  buildMapState,
  diagnose,
  runbookSteps,
  type Diagnosis,
  type HostInfo,
  type MapState,
  type RunbookStep,
} from '../core/diagnosis';
import { FINDINGS_MIME } from '../core/format/model';
import { readFindingsOutput } from '../core/probes/render';
import type { Finding } from '../core/probes/types';
import type { ConnectionManager } from './connectionManager';

/** Re-diagnoses a runbook whenever a cell's outputs change, from the findings saved in those outputs. */
export class DiagnosisTracker implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.NotebookDocument>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(private readonly connections: ConnectionManager) {
    this.disposables.push(
      vscode.workspace.onDidChangeNotebookDocument((e) => {
        if (e.notebook.notebookType === 'cnbook' && e.cellChanges.some((c) => c.outputs !== undefined))
          this.changed.fire(e.notebook);
      }),
    );
  }

  findings(notebook: vscode.NotebookDocument): { finding: Finding; cell: number }[] {
    return notebook.getCells().flatMap((cell) =>
      cell.outputs
        .flatMap((o) => o.items)
        .filter((item) => item.mime === FINDINGS_MIME)
        .flatMap((item) =>
          readFindingsOutput(new TextDecoder().decode(item.data)).map((finding) => ({ finding, cell: cell.index })),
        ),
    );
  }

  private steps(notebook: vscode.NotebookDocument): RunbookStep[] {
    return runbookSteps(
      notebook.getCells().map((cell) => ({
        index: cell.index,
        language: cell.document.languageId,
        source: cell.document.getText(),
        ran: cell.executionSummary?.success !== undefined || cell.outputs.length > 0,
      })),
    );
  }

  diagnosis(notebook: vscode.NotebookDocument): { diagnosis: Diagnosis; hosts: HostInfo[] } {
    const incident = (notebook.metadata.frontMatter as { incident?: { opened?: unknown } } | undefined)?.incident;
    const contacts = vscode.workspace.getConfiguration('cnbook').get<Record<string, string>>('escalation') ?? {};
    const hosts = this.hosts();
    const diagnosis = diagnose({
      findings: this.findings(notebook).map((f) => f.finding),
      hosts,
      now: new Date().toISOString(),
      contacts,
      steps: this.steps(notebook),
      ...(typeof incident?.opened === 'string' ? { openedAt: incident.opened } : {}),
    });
    return { diagnosis, hosts };
  }

  mapState(notebook: vscode.NotebookDocument): MapState {
    const { diagnosis, hosts } = this.diagnosis(notebook);
    return buildMapState(diagnosis, hosts);
  }

  /** The cell whose findings decided a node, so a click on the map can take the user there. */
  cellFor(notebook: vscode.NotebookDocument, chartId: string, nodeId: string): number | undefined {
    const node = allCharts(this.hosts())
      .find((c) => c.id === chartId)
      ?.nodes.find((n) => n.id === nodeId);
    if (!node) return undefined;
    return this.findings(notebook).find(({ finding }) => bearsOn(node, finding))?.cell;
  }

  private hosts(): HostInfo[] {
    try {
      return [...this.connections.bindings().values()].flatMap((b) =>
        b.connections.map((c) => ({ connection: c.name, role: b.role })),
      );
    } catch {
      return [];
    }
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
