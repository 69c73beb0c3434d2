import * as vscode from 'vscode';

/** How often the clock moves while nothing else changes: "N min left" reads right to the quarter minute. */
const TICK_MS = 15_000;

/**
 * When an incident's escalation standing may have moved other than by a new diagnosis (that is the
 * tracker's own event): its front matter was edited (`incident.opened`, the severity...), the contacts in
 * the `cnbook.escalation` setting changed, or time passed. The status bar and the map both listen here, so
 * they show the same standing at the same moment. The event carries the notebook that changed, or
 * undefined when every notebook's standing moved (a tick, a setting).
 */
export class EscalationClock implements vscode.Disposable {
  private readonly moved = new vscode.EventEmitter<vscode.NotebookDocument | undefined>();
  readonly onDidMove = this.moved.event;
  private readonly timer = setInterval(() => this.moved.fire(undefined), TICK_MS);
  private readonly disposables: vscode.Disposable[] = [
    this.moved,
    vscode.workspace.onDidChangeNotebookDocument((e) => {
      if (e.notebook.notebookType === 'cnbook' && e.metadata !== undefined) this.moved.fire(e.notebook);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('cnbook.escalation')) this.moved.fire(undefined);
    }),
  ];

  dispose(): void {
    clearInterval(this.timer);
    this.disposables.forEach((d) => d.dispose());
  }
}
