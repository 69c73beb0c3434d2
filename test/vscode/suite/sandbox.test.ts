import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { CnbookApi } from '../../../src/extension/extension';
import { EXTENSION_ID, openRunbook, outputJson, runCell, screenshot, waitFor, workspaceFile } from './helpers';

interface ProbeFinding {
  probe: string;
  target: string;
  severity: string;
  summary: string;
}

/** Start Sandbox, Inject Fault (a paused replica), a probe cell that finds it, Stop Sandbox. */
export function registerSandboxTests(): void {
  describe('the sandbox in VS Code', () => {
    let previousProfile: string | undefined;
    let previousContacts: unknown;

    before(() => {
      previousProfile = vscode.workspace.getConfiguration('cnbook').get<string>('activeProfile');
      previousContacts = vscode.workspace.getConfiguration('cnbook').inspect('escalation')?.globalValue;
    });
    after(async () => {
      await vscode.commands.executeCommand('cnbook.sandbox.stop');
      const settings = vscode.workspace.getConfiguration('cnbook');
      await settings.update('activeProfile', previousProfile, vscode.ConfigurationTarget.Global);
      await settings.update('escalation', previousContacts, vscode.ConfigurationTarget.Global);
    });

    it('starts the sandbox, injects a paused replica, and a probe cell finds it', async () => {
      const started = performance.now();
      assert.equal(await vscode.commands.executeCommand('cnbook.sandbox.start'), true);
      console.log(`METRIC sandbox start in VS Code ${(performance.now() - started).toFixed(0)} ms`);
      assert.equal(vscode.workspace.getConfiguration('cnbook').get('activeProfile'), 'sandbox');
      assert.equal(await vscode.commands.executeCommand('cnbook.sandbox.injectFault', 'pause=us-west'), true);
      const editor = await openRunbook('sandbox.cnbook');
      let findings: ProbeFinding[] = [];
      // The paused replica counts as behind once its unreplayed WAL has waited longer than warn=100ms.
      await waitFor(
        async () => {
          const cell = await runCell(editor, 1);
          findings = outputJson(cell, FINDINGS_MIME)?.findings ?? [];
          return findings.some((f) => f.target === 'us-west' && f.severity !== 'ok');
        },
        30_000,
        'the paused replica to be found',
      );
      const usWest = findings.find((f) => f.target === 'us-west');
      assert.match(usWest?.summary ?? '', /replay PAUSED/);
      assert.deepEqual(
        findings.filter((f) => f.target !== 'us-west').map((f) => `${f.target} ${f.severity}`),
        ['eu-west ok', 'ap-southeast ok'],
      );
    });

    it('the open map follows incident.opened: time left, overdue by the clock alone, overdue naming the contact', async function () {
      this.timeout(180_000);
      assert.equal(await vscode.commands.executeCommand('cnbook.sandbox.start'), true);
      assert.equal(await vscode.commands.executeCommand('cnbook.sandbox.reset'), true);
      assert.equal(await vscode.commands.executeCommand('cnbook.sandbox.injectFault', 'pause=us-west'), true);
      const editor = await openRunbook('sandbox.cnbook');
      await waitFor(
        async () => {
          const findings: ProbeFinding[] = outputJson(await runCell(editor, 1), FINDINGS_MIME)?.findings ?? [];
          return findings.some((f) => f.target === 'us-west' && f.severity !== 'ok');
        },
        30_000,
        'the paused replica to be found',
      );
      await setContacts({ eventual: '@replica-oncall' });
      await setOpened(editor.notebook, new Date().toISOString());
      const api = cnbookApi();
      await vscode.commands.executeCommand('cnbook.showInvestigationMap');
      await waitFor(
        () => /^⏱️ eventual consistency: [\d.]+ min left to escalate \(limit 30 min\)$/.test(mapEscalation(api).text),
        60_000,
        'the map to show the time left',
      );
      // The limit falls 25 s after this edit: the map says so at once, then turns overdue with no other change.
      await setOpened(editor.notebook, new Date(Date.now() - 30 * 60_000 + 25_000).toISOString());
      await waitFor(() => /^⏱️ .*: \d+ s left to escalate/.test(mapEscalation(api).text), 20_000, 'seconds left');
      await waitFor(() => mapEscalation(api).due, 60_000, 'the clock to turn the map overdue by itself');
      assert.match(
        mapEscalation(api).text,
        /^⏰ eventual consistency: overdue by [\d.]+ (s|min), escalate to @replica-oncall$/,
      );
      // Opened three hours ago: overdue by two and a half hours, naming whom to call, as the status bar does.
      await setOpened(editor.notebook, new Date(Date.now() - 3 * 3600_000).toISOString());
      await waitFor(() => /overdue by 1\d\d min/.test(mapEscalation(api).text), 20_000, 'the map to follow the edit');
      assert.match(
        mapEscalation(api).text,
        /^⏰ eventual consistency: overdue by 15\d min, escalate to @replica-oncall$/,
      );
      assert.match(api.lastMapRender()?.headline ?? '', /· escalate now to @replica-oncall$/);
      await waitFor(
        () => api.escalationStatus()?.replace('$(alert)', '⏰') === mapEscalation(api).text,
        20_000,
        `the status bar to say what the map says: ${api.escalationStatus()} / ${mapEscalation(api).text}`,
      );
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('reconcile apply=yes on the sandbox writes nothing the user did not confirm', async function () {
      this.timeout(180_000);
      assert.equal(await vscode.commands.executeCommand('cnbook.sandbox.start'), true);
      assert.equal(await vscode.commands.executeCommand('cnbook.sandbox.reset'), true);
      assert.equal(await vscode.commands.executeCommand('cnbook.sandbox.injectFault', 'drift=orders:0.1'), true);
      fs.writeFileSync(workspaceFile('reconcile.cnbook').fsPath, RECONCILE_RUNBOOK);
      const editor = await openRunbook('reconcile.cnbook');
      const drift = async () => findingsOf(await runCell(editor, 2))[0]?.metrics?.changed;
      const changed = await drift();
      assert.ok(typeof changed === 'number' && changed > 0, `the copy has drifted: ${changed}`);
      // VS Code refuses every dialog while it runs extension tests (its DialogService), as a user pressing
      // Cancel would: the modal question of the probe is asked and not answered yes.
      const declined = findingsOf(await runCell(editor, 1))[0];
      assert.match(declined?.summary ?? '', /^not applied \(the write was not confirmed\): .*, (\d+) changed$/);
      assert.deepEqual([declined?.metrics?.applied, declined?.metrics?.updates], [false, changed]);
      assert.equal(await drift(), changed, 'nothing written');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('an incident from the triage runbook, two faults, every cell run, a note; reopened: timeline and map', async function () {
      this.timeout(300_000);
      assert.equal(await vscode.commands.executeCommand('cnbook.sandbox.start'), true);
      assert.equal(await vscode.commands.executeCommand('cnbook.sandbox.reset'), true);
      for (const fault of ['pause=us-west', 'totals=3'])
        assert.equal(await vscode.commands.executeCommand('cnbook.sandbox.injectFault', fault), true, fault);
      const extension = vscode.extensions.getExtension(EXTENSION_ID);
      const runbook = vscode.Uri.joinPath(extension!.extensionUri, 'runbooks', 'triage.cnbook');
      const created = await vscode.commands.executeCommand<vscode.Uri | undefined>('cnbook.newIncident', runbook, {
        title: 'Stale replica and wrong totals',
        severity: 'sev2',
      });
      assert.ok(created, 'the incident record was created');
      const editor = await showWithKernel(created);
      const started = performance.now();
      const ran = await runAll(editor);
      console.log(
        `METRIC triage runbook, all ${ran.length} code cells, on the sandbox in VS Code ${(performance.now() - started).toFixed(0)} ms`,
      );
      assert.ok(ran.length >= 6, `the runbook has its code cells: ${ran.length}`);
      await vscode.commands.executeCommand('cnbook.addTimelineNote', 'Two problems: <paused> us-west | broken totals');
      await waitFor(() => entries(editor.notebook).some((e) => e.kind === 'note'), 10_000, 'the note');
      // save() is false when there is nothing left to save (an auto save got there first): the file must be written.
      if (editor.notebook.isDirty) await editor.notebook.save();
      assert.equal(editor.notebook.isDirty, false, 'saved');
      const saved = fs.readFileSync(created.fsPath, 'utf8');
      assert.match(saved, /Two problems: &lt;paused&gt; us-west \\\| broken totals/);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      assert.equal(vscode.window.tabGroups.all.flatMap((g) => g.tabs).length, 0, 'the record and the map are closed');
      const reopened = await showWithKernel(created);
      const timeline = entries(reopened.notebook);
      const runs = timeline.filter((e) => e.kind === 'run');
      assert.deepEqual(
        runs.map((e) => e.cell),
        ran.map((c) => c.index),
        'one run entry per code cell',
      );
      assert.deepEqual(
        timeline.filter((e) => e.kind === 'note').map((e) => e.text),
        ['Two problems: <paused> us-west | broken totals'],
      );
      const diagnoses = timeline.filter((e) => e.kind === 'diagnosis').map((e) => e.consistencyType);
      assert.ok(diagnoses.includes('eventual') && diagnoses.at(-1) === 'strong', JSON.stringify(diagnoses));
      const api = cnbookApi();
      // A render of the reopened record, not one left from the run before it was closed.
      const beforeReopen = api.lastMapRender();
      await vscode.commands.executeCommand('cnbook.showInvestigationMap');
      await waitFor(
        () => api.lastMapRender() !== beforeReopen && api.lastMapRender()?.problems.length === 2,
        60_000,
        'the map of the reopened record to list two problems',
      );
      const { problems, headline } = api.lastMapRender()!;
      assert.match(
        headline,
        /^Strong consistency: check failed on us-east: stored totals equal the items: expected no rows, got 3/,
      );
      assert.match(problems[0] ?? '', /🔴 Strong consistency: check failed on us-east.*\(primary\)$/);
      assert.match(problems[1] ?? '', /🟡 Eventual consistency: replay paused on us-west/);
      // The escalation clock counts from incident.opened (just now) to the guide's limit for strong consistency.
      await waitFor(() => api.escalationStatus() !== undefined, 10_000, 'the escalation clock in the status bar');
      assert.match(
        api.escalationStatus() ?? '',
        /^\$\(watch\) strong consistency: [\d.]+ (min|s) left to escalate \(limit \d+ min\)$/,
      );
      // The README's picture, while the clock still runs: the totals check that found the broken rows, beside the map.
      const totals = reopened.notebook.getCells().findIndex((c) => c.document.getText().includes('@expect empty'));
      reopened.revealRange(new vscode.NotebookRange(totals - 1, totals), vscode.NotebookEditorRevealType.AtTop);
      await new Promise((r) => setTimeout(r, 1500));
      await screenshot('investigation-map-sandbox');
      // Opened three hours ago, the incident is overdue: the status bar and the map name whom to call.
      await setContacts({ strong: '@db-oncall' });
      await setOpened(reopened.notebook, new Date(Date.now() - 3 * 3600_000).toISOString());
      await waitFor(() => /overdue/.test(api.escalationStatus() ?? ''), 10_000, 'the clock to say overdue');
      assert.match(
        api.escalationStatus() ?? '',
        /^\$\(alert\) strong consistency: overdue by \d+ min, escalate to @db-oncall$/,
      );
      await waitFor(() => mapEscalation(api).due, 20_000, 'the map to say overdue');
      assert.match(mapEscalation(api).text, /^⏰ strong consistency: overdue by \d+ min, escalate to @db-oncall$/);
      assert.equal(api.lastMapRender()?.problems.length, 2, 'still both problems');
      await new Promise((r) => setTimeout(r, 1000));
      await screenshot('investigation-map-overdue');
    });
  });
}

const FINDINGS_MIME = 'application/vnd.cnbook.findings+json';

const RECONCILE_RUNBOOK = `---
cnbook: 1
title: Reconcile on the sandbox
---
# Repair the primary's orders from the copy, then compare

The primary is the sandbox's only writable node, so the drifted copy stands in as the source.

\`\`\`cnprobe
reconcile table=orders key=id from=target to=primary apply=yes
\`\`\`

\`\`\`cnprobe
table-drift table=orders key=id source=primary target=target
\`\`\`
`;

interface ProbeFindingWithMetrics extends ProbeFinding {
  metrics?: Record<string, unknown>;
}

function findingsOf(cell: vscode.NotebookCell): ProbeFindingWithMetrics[] {
  return (outputJson(cell, FINDINGS_MIME)?.findings ?? []) as ProbeFindingWithMetrics[];
}

function cnbookApi(): CnbookApi {
  const api = vscode.extensions.getExtension<CnbookApi>(EXTENSION_ID)?.exports;
  assert.ok(api, 'the extension is active and exports its API');
  return api;
}

/** The escalation line the open map shows, as its page last reported it. */
function mapEscalation(api: CnbookApi): { text: string; due: boolean } {
  return api.lastMapRender()?.escalation ?? { text: '', due: false };
}

async function setContacts(contacts: Record<string, string>): Promise<void> {
  await vscode.workspace.getConfiguration('cnbook').update('escalation', contacts, vscode.ConfigurationTarget.Global);
}

/** Rewrites incident.opened in the notebook's front matter, as an edit of the user's would. */
async function setOpened(notebook: vscode.NotebookDocument, opened: string): Promise<void> {
  const frontMatter = notebook.metadata.frontMatter as { incident?: Record<string, unknown> };
  const edit = new vscode.WorkspaceEdit();
  const incident = { ...frontMatter.incident, opened };
  const metadata = { ...notebook.metadata, frontMatter: { ...frontMatter, incident } };
  edit.set(notebook.uri, [vscode.NotebookEdit.updateNotebookMetadata(metadata)]);
  assert.ok(await vscode.workspace.applyEdit(edit), 'the front matter edit applied');
}

interface TimelineEntry {
  kind: string;
  cell?: number;
  text?: string;
  consistencyType?: string;
}

function entries(notebook: vscode.NotebookDocument): TimelineEntry[] {
  const cell = notebook.getCells().find((c) => c.metadata.cnbook === 'timeline');
  return (cell?.metadata.timeline?.entries ?? []) as TimelineEntry[];
}

async function showWithKernel(uri: vscode.Uri): Promise<vscode.NotebookEditor> {
  const editor = await vscode.window.showNotebookDocument(await vscode.workspace.openNotebookDocument(uri));
  await vscode.commands.executeCommand('notebook.selectKernel', { id: 'cnbook-postgres', extension: EXTENSION_ID });
  return editor;
}

/** Runs every code cell of the runbook, as Run All does, and waits for each to end; all must succeed. */
async function runAll(editor: vscode.NotebookEditor): Promise<vscode.NotebookCell[]> {
  const code = editor.notebook
    .getCells()
    .filter((c) => c.kind === vscode.NotebookCellKind.Code && c.document.languageId !== 'note');
  void vscode.commands.executeCommand('notebook.cell.execute', {
    ranges: [{ start: 0, end: editor.notebook.cellCount }],
    document: editor.notebook.uri,
  });
  await waitFor(() => code.every((c) => c.executionSummary?.success !== undefined), 180_000, 'every cell to run');
  for (const cell of code)
    assert.equal(cell.executionSummary?.success, true, `cell ${cell.index}: ${JSON.stringify(outputText(cell))}`);
  return code;
}

function outputText(cell: vscode.NotebookCell): string[] {
  return cell.outputs.flatMap((o) => o.items.map((i) => new TextDecoder().decode(i.data).slice(0, 300)));
}
