import * as vscode from 'vscode';
import { CellFindings } from './cellFindings';
import { CnbookController } from './cnbookController';
import { CnbookSerializer } from './cnbookSerializer';
import { registerCommands } from './commands';
import { ConnectionManager } from './connectionManager';
import { DiagnosisTracker } from './diagnosisTracker';
import { writeDiagnosisOnSave } from './diagnosisOnSave';
import { foldJournalsOnOpen } from './journalOnOpen';
import { InvestigationMapPanel } from './investigationMapPanel';
import { NewCellLanguage } from './newCellLanguage';
import { ProfileStatusBar } from './profileStatusBar';
import { EscalationClock } from './escalationClock';
import { EscalationStatusBar } from './escalationStatusBar';
import { registerRunbookCommands } from './runbookCommands';
import { SandboxController } from './sandboxController';
import { SqlCellRunner } from './sqlCellRunner';
import { changeRememberedParams, RememberedParams } from './paramValues';
import { addTimelineNote, TimelineRecorder } from './timelineRecorder';

/** The composition root: every adapter is built here and handed what it needs. */
export function activate(context: vscode.ExtensionContext): CnbookApi {
  const log = vscode.window.createOutputChannel('cnbook', { log: true });
  const connections = new ConnectionManager(context.secrets, log);
  const findings = new CellFindings();
  const tracker = new DiagnosisTracker(connections, findings);
  const params = new RememberedParams(context.workspaceState);
  const timeline = new TimelineRecorder(tracker, () => connections.osUser, log);
  const clock = new EscalationClock();
  const escalation = new EscalationStatusBar(tracker, clock);
  const mapSources = { tracker, clock };
  context.subscriptions.push(
    log,
    connections,
    vscode.workspace.registerNotebookSerializer('cnbook', new CnbookSerializer(), CnbookSerializer.options),
    new CnbookController(new SqlCellRunner(connections, params, log), findings, timeline),
    new NewCellLanguage(),
    new ProfileStatusBar(connections),
    clock,
    escalation,
    ...registerCommands(connections),
    ...registerRunbookCommands(context.extensionUri, () => connections.osUser),
    new SandboxController(context, connections, log),
  );
  const showMap = () =>
    InvestigationMapPanel.createOrShow(context.extensionUri, mapSources, vscode.window.activeNotebookEditor?.notebook);
  context.subscriptions.push(
    tracker,
    writeDiagnosisOnSave(tracker),
    foldJournalsOnOpen(() => connections.osUser, log),
    vscode.commands.registerCommand('cnbook.showInvestigationMap', showMap),
    vscode.commands.registerCommand('cnbook.changeParams', (uri?: string, forget?: string) =>
      changeRememberedParams(params, uri, forget),
    ),
    vscode.commands.registerCommand('cnbook.addTimelineNote', (text?: string) => addTimelineNote(timeline, text)),
    vscode.window.registerWebviewPanelSerializer(InvestigationMapPanel.viewType, {
      deserializeWebviewPanel: async (panel) => InvestigationMapPanel.revive(panel, context.extensionUri, mapSources),
    }),
    // The first findings of a run open the map beside the runbook, unless the user turned that off.
    tracker.onDidChange((notebook) => {
      const wanted = vscode.workspace.getConfiguration('cnbook').get<boolean>('investigationMap.openOnFindings', true);
      if (wanted && !InvestigationMapPanel.isOpen && tracker.hasFindings(notebook)) showMap();
    }),
  );
  log.info(`cnbook activated (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'untrusted: nothing will run'})`);
  return {
    lastMapRender: () => InvestigationMapPanel.lastRender,
    escalationStatus: () => escalation.shownText,
    rememberedParams: (notebookUri) => params.kept(notebookUri),
  };
}

/** What the extension exports: for other extensions and for its own tests. */
export interface CnbookApi {
  lastMapRender(): typeof InvestigationMapPanel.lastRender;
  /** The escalation clock's status bar text, or undefined while it is hidden. */
  escalationStatus(): string | undefined;
  /** The names of the parameter values remembered for a notebook: in the workspace state, or in memory only. */
  rememberedParams(notebookUri: string): { stored: string[]; inMemory: string[] };
}

export function deactivate(): void {}
