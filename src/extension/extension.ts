import * as vscode from 'vscode';
import { CnbookController } from './cnbookController';
import { CnbookSerializer } from './cnbookSerializer';
import { registerCommands } from './commands';
import { ConnectionManager } from './connectionManager';
import { ProfileStatusBar } from './profileStatusBar';
import { SqlCellRunner } from './sqlCellRunner';

/** The composition root: every adapter is built here and handed what it needs. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('cnbook', { log: true });
  const connections = new ConnectionManager(context.secrets, log);
  context.subscriptions.push(
    log,
    connections,
    vscode.workspace.registerNotebookSerializer('cnbook', new CnbookSerializer(), CnbookSerializer.options),
    new CnbookController(new SqlCellRunner(connections, log)),
    new ProfileStatusBar(connections),
    ...registerCommands(connections),
  );
  log.info(`cnbook activated (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'untrusted: nothing will run'})`);
}

export function deactivate(): void {}
