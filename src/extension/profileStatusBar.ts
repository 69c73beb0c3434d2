import * as vscode from 'vscode';
import type { ConnectionManager } from './connectionManager';

/** Shows the active connection profile while a runbook is open; a click switches it. */
export class ProfileStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('cnbook.profile', vscode.StatusBarAlignment.Left, 100);
  private readonly disposables: vscode.Disposable[] = [this.item];

  constructor(private readonly connections: ConnectionManager) {
    this.item.name = 'cnbook connection profile';
    this.item.command = 'cnbook.selectProfile';
    this.disposables.push(
      connections.onDidChange(() => this.update()),
      vscode.window.onDidChangeActiveNotebookEditor(() => this.update()),
    );
    this.update();
  }

  update(): void {
    const editor = vscode.window.activeNotebookEditor;
    if (editor?.notebook.notebookType !== 'cnbook') {
      this.item.hide();
      return;
    }
    let profile: string | undefined;
    try {
      profile = this.connections.activeProfile();
    } catch {
      profile = undefined;
    }
    this.item.text = `$(database) ${profile ?? 'no profile'}`;
    this.item.tooltip = profile
      ? `cnbook runs this runbook on profile '${profile}'. Click to switch.`
      : 'cnbook: choose connections to run this runbook on.';
    this.item.backgroundColor = profile ? undefined : new vscode.ThemeColor('statusBarItem.warningBackground');
    this.item.show();
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
