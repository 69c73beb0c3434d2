import * as vscode from 'vscode';
import { escalationLine } from '../core/diagnosis/escalation';
import type { DiagnosisTracker } from './diagnosisTracker';
import type { EscalationClock } from './escalationClock';

/**
 * The escalation clock of the active incident in the status bar, counted live from `incident.opened`: time
 * left before the guide's limit for the current type, then overdue with whom to call, said once in a warning.
 */
export class EscalationStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('cnbook.escalation', vscode.StatusBarAlignment.Left, 99);
  private readonly warned = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [this.item];

  constructor(
    private readonly tracker: DiagnosisTracker,
    clock: EscalationClock,
  ) {
    this.item.name = 'cnbook escalation';
    this.item.command = 'cnbook.showInvestigationMap';
    this.disposables.push(
      tracker.onDidChange(() => this.update()),
      clock.onDidMove(() => this.update()),
      vscode.window.onDidChangeActiveNotebookEditor(() => this.update()),
    );
    this.update();
  }

  /** What the status bar shows, or undefined while hidden (for the extension's API and its tests). */
  get shownText(): string | undefined {
    return this.visible ? this.item.text : undefined;
  }

  private visible = false;

  update(): void {
    const notebook = vscode.window.activeNotebookEditor?.notebook;
    const escalation = notebook?.notebookType === 'cnbook' ? this.tracker.escalation(notebook) : null;
    if (!notebook || !escalation || escalation.elapsedMinutes === null) {
      this.item.hide();
      this.visible = false;
      return;
    }
    const line = escalationLine(escalation);
    this.item.text = `${escalation.due ? '$(alert)' : '$(watch)'} ${line}`;
    this.item.tooltip = 'Escalation limits from the incident guide; contacts from the cnbook.escalation setting.';
    this.item.backgroundColor = escalation.due ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
    this.visible = true;
    const key = `${notebook.uri.toString()}#${escalation.consistencyType}`;
    if (escalation.due && !this.warned.has(key)) {
      this.warned.add(key);
      void vscode.window.showWarningMessage(`Escalate now: ${line}.`);
    }
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
