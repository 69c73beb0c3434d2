import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { openRunbook, outputJson, runCell, waitFor } from './helpers';

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

    before(() => {
      previousProfile = vscode.workspace.getConfiguration('cnbook').get<string>('activeProfile');
    });
    after(async () => {
      await vscode.commands.executeCommand('cnbook.sandbox.stop');
      await vscode.workspace
        .getConfiguration('cnbook')
        .update('activeProfile', previousProfile, vscode.ConfigurationTarget.Global);
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
          findings = outputJson(cell, 'application/vnd.cnbook.findings+json')?.findings ?? [];
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
  });
}
