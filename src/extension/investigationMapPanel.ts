import * as vscode from 'vscode';
import { cellIndexNow } from '../core/format/cellIds';
import { MAP_BODY_HTML, type FromWebview, type ToWebview } from '../webview/protocol';
import type { DiagnosisTracker } from './diagnosisTracker';
import type { EscalationClock } from './escalationClock';

/** Where the map's content comes from: the diagnosis of a notebook, and the escalation clock beside it. */
export interface MapSources {
  tracker: DiagnosisTracker;
  clock: EscalationClock;
}

/** The Investigation Map beside the runbook: created or shown on demand, restored after a reload. */
export class InvestigationMapPanel implements vscode.Disposable {
  static readonly viewType = 'cnbook.investigationMap';
  private static current: InvestigationMapPanel | undefined;
  /** The last render the webview reported: chart, time and the state classes of each node (tests read it). */
  static lastRender: Extract<FromWebview, { type: 'rendered' }> | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private notebook: vscode.NotebookDocument | undefined;

  static createOrShow(
    extensionUri: vscode.Uri,
    sources: MapSources,
    notebook: vscode.NotebookDocument | undefined,
  ): InvestigationMapPanel {
    if (InvestigationMapPanel.current) {
      InvestigationMapPanel.current.panel.reveal(vscode.ViewColumn.Beside, true);
    } else {
      const panel = vscode.window.createWebviewPanel(
        InvestigationMapPanel.viewType,
        'Investigation Map',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        options(extensionUri),
      );
      InvestigationMapPanel.current = new InvestigationMapPanel(panel, extensionUri, sources);
    }
    InvestigationMapPanel.current.show(notebook);
    return InvestigationMapPanel.current;
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, sources: MapSources): void {
    panel.webview.options = options(extensionUri);
    InvestigationMapPanel.current = new InvestigationMapPanel(panel, extensionUri, sources);
    InvestigationMapPanel.current.show(vscode.window.activeNotebookEditor?.notebook);
  }

  static get isOpen(): boolean {
    return InvestigationMapPanel.current !== undefined;
  }

  private readonly tracker: DiagnosisTracker;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    { tracker, clock }: MapSources,
  ) {
    this.tracker = tracker;
    panel.webview.html = html(panel.webview, extensionUri);
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: FromWebview) => void this.onMessage(m)),
      tracker.onDidChange((notebook) => this.show(notebook)),
      // The same moments the status bar redraws at: an edit of the front matter, a contact setting, a tick.
      clock.onDidMove((notebook) => (notebook === undefined || notebook === this.notebook) && this.refresh()),
      // Hidden, the page was thrown away (no retained context) and comes back with the state it saved.
      panel.onDidChangeViewState(() => this.refresh()),
      vscode.window.onDidChangeActiveNotebookEditor(
        (e) => e?.notebook.notebookType === 'cnbook' && this.show(e.notebook),
      ),
    );
  }

  /** Shows the current notebook's standing again, if anyone can see it. */
  private refresh(): void {
    if (this.panel.visible) this.show(this.notebook);
  }

  show(notebook: vscode.NotebookDocument | undefined): void {
    if (!notebook) return;
    this.notebook = notebook;
    this.panel.title = `Investigation Map: ${notebook.uri.path.split('/').pop()}`;
    const message: ToWebview = { type: 'update', state: this.tracker.mapState(notebook) };
    void this.panel.webview.postMessage(message);
  }

  private async onMessage(message: FromWebview): Promise<void> {
    if (message.type === 'rendered') InvestigationMapPanel.lastRender = message;
    else if (message.type === 'reveal' && this.notebook)
      await this.revealCell(this.tracker.cellFor(this.notebook, message.chart, message.node));
    else if (message.type === 'revealCell') await this.revealCell(this.cellNow(message.cell, message.cellId));
    else if (message.type === 'exportSvg') await exportSvg(message.svg, message.chart);
    else if (message.type === 'error') void vscode.window.showErrorMessage(`Investigation Map: ${message.message}`);
  }

  /** Where the map's cell stands now: found by its id (cells may have moved since the map was drawn). */
  private cellNow(index: number, id: string | null): number | undefined {
    if (!this.notebook) return undefined;
    return cellIndexNow(this.notebook.getCells(), id ?? undefined, index) ?? undefined;
  }

  private async revealCell(index: number | undefined): Promise<void> {
    const notebook = this.notebook;
    if (!notebook || index === undefined || !Number.isInteger(index) || index < 0 || index >= notebook.cellCount)
      return;
    const editor = await vscode.window.showNotebookDocument(notebook, {
      viewColumn: vscode.ViewColumn.One,
      preserveFocus: false,
    });
    const range = new vscode.NotebookRange(index, index + 1);
    editor.selections = [range];
    editor.revealRange(range, vscode.NotebookEditorRevealType.InCenterIfOutsideViewport);
  }

  dispose(): void {
    InvestigationMapPanel.current = undefined;
    this.panel.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}

function options(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

function html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'investigationMap.css'));
  // mermaid writes <style> into its SVG, hence 'unsafe-inline' for styles only; scripts need the nonce.
  const csp = `default-src 'none'; img-src ${webview.cspSource} data:; font-src ${webview.cspSource}; style-src ${webview.cspSource} 'unsafe-inline'; script-src 'nonce-${nonce}';`;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0"><link rel="stylesheet" href="${style}"><title>Investigation Map</title></head>
<body>${MAP_BODY_HTML}
<script nonce="${nonce}" src="${script}"></script></body></html>`;
}

async function exportSvg(svg: string, chart: string): Promise<void> {
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(`investigation-${chart}.svg`),
    filters: { SVG: ['svg'] },
  });
  if (target) await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(svg));
}
