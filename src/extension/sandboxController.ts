/**
 * The sandbox in VS Code: Start / Inject Fault… / Reset / Stop, a status bar item, and the built-in
 * `sandbox` profile published to the ConnectionManager while it runs. The servers belong to this extension
 * host (a watchdog stops them when it exits); after a window reload they are restarted from the folder.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FAULTS, formatFault, parseFault, type FaultInfo } from '../core/sandbox/faults';
import { SANDBOX_PROFILE, sandboxConnections } from '../core/sandbox/profile';
import { fakeTimeLibrary } from '../sandbox/binaries';
import { injectFault } from '../sandbox/faults';
import { AS_ROOT } from '../sandbox/processes';
import { Sandbox } from '../sandbox/sandbox';
import { defaultSandboxFolder } from '../sandbox/state';
import type { ConnectionManager } from './connectionManager';
import { activeProfileSetting } from './settings';

export class SandboxController implements vscode.Disposable {
  readonly sandbox: Sandbox;
  private readonly item = vscode.window.createStatusBarItem('cnbook.sandbox', vscode.StatusBarAlignment.Left, 99);
  private readonly disposables: vscode.Disposable[] = [this.item];

  constructor(
    context: vscode.ExtensionContext,
    private readonly connections: ConnectionManager,
    private readonly log: vscode.LogOutputChannel,
  ) {
    // As root the servers run as another user, who cannot enter /root where global storage lives.
    const folder = AS_ROOT ? defaultSandboxFolder('vscode') : path.join(context.globalStorageUri.fsPath, 'sandbox');
    this.sandbox = new Sandbox('vscode', folder);
    this.item.name = 'cnbook sandbox';
    this.disposables.push(
      vscode.commands.registerCommand('cnbook.sandbox.start', () => this.start()),
      vscode.commands.registerCommand('cnbook.sandbox.injectFault', (spec?: string) => this.inject(spec)),
      vscode.commands.registerCommand('cnbook.sandbox.reset', () => this.reset()),
      vscode.commands.registerCommand('cnbook.sandbox.stop', () => this.stop()),
      vscode.commands.registerCommand('cnbook.sandbox.openTriage', (target?: vscode.Uri) =>
        this.openTriage(context, target),
      ),
    );
    this.publish();
    void this.reattach();
  }

  /** After a reload: take over running servers, or restart them when the sandbox profile is the active one. */
  private async reattach(): Promise<void> {
    const state = this.sandbox.state();
    if (!state?.complete) return;
    if (this.sandbox.running() || activeProfileSetting() === SANDBOX_PROFILE)
      await this.start().catch((e: Error) => this.log.error(`sandbox: ${e.message}`));
  }

  async start(): Promise<boolean> {
    return this.withProgress(
      'Starting the cnbook sandbox (PostgreSQL primary, replicas, a logical copy)…',
      async () => {
        const state = this.sandbox.state();
        const owner = { owner: process.pid };
        if (state && !state.complete) await this.sandbox.reset(owner);
        else await this.sandbox.ensureRunning(owner);
        await vscode.workspace
          .getConfiguration('cnbook')
          .update('activeProfile', SANDBOX_PROFILE, vscode.ConfigurationTarget.Global);
      },
    );
  }

  async reset(): Promise<boolean> {
    return this.withProgress('Resetting the cnbook sandbox to healthy…', () =>
      this.sandbox.reset({ owner: process.pid }).then(() => undefined),
    );
  }

  async stop(): Promise<void> {
    if (!this.sandbox.running()) {
      void vscode.window.showInformationMessage('The cnbook sandbox is not running.');
      return;
    }
    await this.sandbox.stop();
    this.publish();
  }

  /** A spec from the caller (tests, walkthrough links) or picked: the fault, then its replica or values. */
  async inject(spec?: string): Promise<boolean> {
    if (!this.sandbox.running() && !(await this.offerStart())) return false;
    const chosen = spec ?? (await this.pickFault());
    if (!chosen) return false;
    try {
      const fault = parseFault(chosen, this.sandbox.faultContext());
      await injectFault(this.sandbox, fault);
      this.publish();
      void vscode.window.showInformationMessage(`Injected ${formatFault(fault)}: run a triage runbook to find it.`);
      return true;
    } catch (error) {
      void vscode.window.showErrorMessage(`cnbook sandbox: ${(error as Error).message}`);
      return false;
    }
  }

  /**
   * A copy of the shipped triage runbook, saved where the user picks: by default incidents/ in the
   * workspace, where people look for records (global storage was where nobody found them). `target` skips
   * the dialog (scripts and tests).
   */
  private async openTriage(context: vscode.ExtensionContext, target?: vscode.Uri): Promise<void> {
    const source = vscode.Uri.joinPath(context.extensionUri, 'runbooks', 'triage.cnbook');
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const copy =
      target ??
      (await vscode.window.showSaveDialog({
        title: 'Save the triage record as',
        defaultUri: vscode.Uri.joinPath(folder, 'incidents', `triage-${stamp}.cnbook`),
        filters: { 'cnbook records': ['cnbook'] },
      }));
    if (!copy) return;
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(copy, '..'));
    await vscode.workspace.fs.copy(source, copy, { overwrite: true });
    await vscode.window.showNotebookDocument(await vscode.workspace.openNotebookDocument(copy));
  }

  private async offerStart(): Promise<boolean> {
    const answer = await vscode.window.showInformationMessage('The cnbook sandbox is not running.', 'Start Sandbox');
    return answer === 'Start Sandbox' && (await this.start());
  }

  private async pickFault(): Promise<string | undefined> {
    const missing = fakeTimeLibrary() ? undefined : 'unavailable: libfaketime is not installed';
    const picked = await vscode.window.showQuickPick(
      FAULTS.filter((f) => !(f.needsFakeTime && missing)).map((f) => ({
        label: f.usage,
        detail: `${f.summary}; found by ${f.detectedBy}`,
        fault: f,
      })),
      { title: 'Inject which fault into the sandbox?' },
    );
    return picked ? this.completeSpec(picked.fault) : undefined;
  }

  private async completeSpec(fault: FaultInfo): Promise<string | undefined> {
    const context = this.sandbox.faultContext();
    const parts: string[] = [];
    for (const placeholder of fault.usage.split('=')[1]?.split(':') ?? []) {
      const names = placeholder === 'REPLICA' ? context.replicas : placeholder === 'SERVER' ? context.servers : [];
      const value = names.length
        ? await vscode.window.showQuickPick([...names], { title: `${fault.kind}: which ${placeholder.toLowerCase()}?` })
        : await vscode.window.showInputBox({ title: `${fault.kind}: ${placeholder}`, value: DEFAULTS[placeholder] });
      if (!value) return undefined;
      parts.push(value);
    }
    return parts.length ? `${fault.kind}=${parts.join(':')}` : fault.kind;
  }

  private async withProgress(title: string, work: () => Promise<void>): Promise<boolean> {
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, work);
      return true;
    } catch (error) {
      this.log.error(`sandbox: ${(error as Error).message}`);
      void vscode.window.showErrorMessage(`cnbook sandbox: ${(error as Error).message}`);
      return false;
    } finally {
      this.publish();
    }
  }

  /** The status bar and the profile follow the servers. */
  private publish(): void {
    const running = this.sandbox.running();
    const status = this.sandbox.status();
    this.connections.setSandbox(running ? sandboxConnections(status.nodes, status.proxy) : undefined);
    const faults = status.faults.length ? ` · ${status.faults.length} fault(s)` : '';
    this.item.text = running ? `$(beaker) sandbox: up${faults}` : '$(beaker) sandbox: stopped';
    this.item.tooltip = running
      ? `cnbook sandbox, PostgreSQL ${status.major}: ${status.nodes.map((n) => `${n.name}:${n.port}`).join(', ')}${faults ? `\nfaults: ${status.faults.join(', ')}` : ''}\nClick to inject a fault.`
      : 'cnbook sandbox is stopped. Click to start it.';
    this.item.command = running ? 'cnbook.sandbox.injectFault' : 'cnbook.sandbox.start';
    if (running || status.exists) this.item.show();
    else this.item.hide();
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

const DEFAULTS: Record<string, string> = {
  DURATION: '10s',
  FRACTION: '0.05',
  COUNT: '3',
  OFFSET: '+3s',
  TABLE: 'orders',
};
