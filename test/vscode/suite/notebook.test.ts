import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import {
  clickInWebview,
  EXTENSION_ID,
  openRunbook,
  outputJson,
  primaryQuery,
  replicaQuery,
  RESULT_MIME,
  runCell,
  screenshot,
  waitFor,
  workspaceFile,
} from './helpers';

export function registerNotebookTests(): void {
  describe('cnbook in a real VS Code', () => {
    let editor: vscode.NotebookEditor;

    it('activates, and says how long that took', async () => {
      const extension = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(extension, 'the extension is installed');
      const wasActive = extension.isActive;
      const started = performance.now();
      await extension.activate();
      console.log(
        `METRIC activation ${(performance.now() - started).toFixed(1)} ms (was already active: ${wasActive})`,
      );
      editor = await openRunbook('orders.cnbook');
      assert.equal(editor.notebook.notebookType, 'cnbook');
      assert.equal(editor.notebook.cellCount, 8);
    });

    it('tests a connection: version, recovery and round trip, or what went wrong', async () => {
      const replica = await vscode.commands.executeCommand<{
        ok: boolean;
        serverVersion?: string;
        inRecovery?: boolean;
        ms?: number;
        warnings?: string[];
      }>('cnbook.testConnection', 'test-replica');
      assert.equal(replica?.ok, true, JSON.stringify(replica));
      assert.match(replica?.serverVersion ?? '', /^18\./);
      assert.equal(replica?.inRecovery, true);
      // The suite's servers log in as postgres: the least-privilege warning must say so.
      assert.match(replica?.warnings?.join('\n') ?? '', /test-replica logs in as superuser postgres/);
      console.log(`METRIC test connection round trip ${replica?.ms} ms`);
      const down = await vscode.commands.executeCommand<{ ok: boolean; message?: string }>(
        'cnbook.testConnection',
        'test-down',
      );
      assert.equal(down?.ok, false);
      assert.match(
        down?.message ?? '',
        /test-down.*(refused|could not connect)|(refused|could not connect).*test-down/i,
        down?.message,
      );
      const unknown = await vscode.commands.executeCommand<{ ok: boolean; message?: string }>(
        'cnbook.testConnection',
        'no-such-connection',
      );
      assert.equal(unknown?.ok, false);
      assert.match(unknown?.message ?? '', /no-such-connection/);
    });

    it('runs a SQL cell and shows the rows, with provenance', async () => {
      const cell = await runCell(editor, 1);
      assert.equal(
        cell.executionSummary?.success,
        true,
        JSON.stringify(cell.outputs.flatMap((o) => o.items.map((i) => new TextDecoder().decode(i.data)))),
      );
      const payload = outputJson(cell, RESULT_MIME);
      const result = payload.results[0];
      assert.equal(result.connection, 'test-primary');
      assert.equal(result.provenance.inRecovery, false);
      assert.match(result.provenance.serverVersion, /^18\./);
      assert.deepEqual(result.statements[0].rows[1], ['2', 'paid', '21.00', null]);
      assert.ok(
        cell.outputs[0]?.items.some((i) => i.mime === 'text/markdown'),
        'a Markdown fallback is there too',
      );
    });

    it('ignores workspace settings that try to point connections elsewhere', async () => {
      // The fixture's .vscode/settings.json names port 1 and profile "evil"; user settings must win.
      const workspaceSettings = fs.readFileSync(workspaceFile('.vscode/settings.json').fsPath, 'utf8');
      assert.match(workspaceSettings, /attacker@127\.0\.0\.1:1/, 'the workspace tried');
      assert.equal(outputJson(editor.notebook.cellAt(1), RESULT_MIME).results[0].connection, 'test-primary');
      const payload = outputJson(editor.notebook.cellAt(1), RESULT_MIME);
      assert.equal(payload.results[0].provenance.port, Number(new URL(process.env.CNBOOK_TEST_PRIMARY_URL ?? '').port));
    });

    it("shows a failed cell's error with its SQLSTATE", async () => {
      const cell = await runCell(editor, 2);
      assert.equal(cell.executionSummary?.success, false);
      const error = outputJson(cell, RESULT_MIME).results[0].error;
      assert.equal(error.sqlstate, '42P01');
      assert.match(error.message, /no_such_table/);
    });

    it('cancels pg_sleep(30) on the server: the backend is gone long before the sleep would end', async () => {
      const range = { ranges: [{ start: 3, end: 4 }], document: editor.notebook.uri };
      void vscode.commands.executeCommand('notebook.cell.execute', range);
      let pid: number | undefined;
      await waitFor(
        async () => {
          pid = (
            await primaryQuery(
              "SELECT pid FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND application_name LIKE 'cnbook%'",
            )
          )[0]?.pid;
          return pid !== undefined;
        },
        20_000,
        'pg_sleep(30) to start on the server',
      );
      const cancelledAt = Date.now();
      await vscode.commands.executeCommand('notebook.cell.cancelExecution', range);
      await waitFor(
        async () => (await primaryQuery('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).length === 0,
        15_000,
        'the backend to go',
      );
      // Gone well before pg_sleep(30) would end: the cancel reached the server. (No timing bound: the CI
      // machine is shared; the figure is reported.)
      console.log(`METRIC cancel-to-backend-gone ${Date.now() - cancelledAt} ms`);
      const cell = editor.notebook.cellAt(3);
      await waitFor(() => cell.executionSummary?.success === false, 10_000, 'the cell to end');
      assert.equal(outputJson(cell, RESULT_MIME).results[0].error.kind, 'cancelled');
    });

    it('refuses a write in a cell that does not say @write', async () => {
      const cell = await runCell(editor, 4);
      assert.equal(cell.executionSummary?.success, false);
      const error = outputJson(cell, RESULT_MIME).results[0].error;
      assert.equal(error.sqlstate, '25006');
      assert.deepEqual(await primaryQuery('SELECT count(*)::int AS n FROM orders WHERE id = 1000'), [{ n: 0 }]);
    });

    it('asks before a @write cell runs, and writes nothing when the answer is no', async () => {
      // The smoke-test workbench refuses every dialog, which is the same as a user pressing Cancel.
      const cell = await runCell(editor, 6);
      assert.equal(cell.executionSummary?.success, false);
      const message = JSON.parse(
        new TextDecoder().decode(
          cell.outputs[0]?.items.find((i) => i.mime === 'application/vnd.code.notebook.error')?.data,
        ),
      ).message;
      assert.match(message, /writes must be permitted/);
      assert.deepEqual(await primaryQuery('SELECT note FROM orders WHERE id = 1'), [{ note: '<b>note 1</b>' }]);
    });

    it('runs a cnprobe cell and shows its findings', async () => {
      const cell = await runCell(editor, 7);
      assert.equal(cell.executionSummary?.success, true);
      const findings = outputJson(cell, 'application/vnd.cnbook.findings+json').findings as {
        probe: string;
        target: string;
        severity: string;
      }[];
      assert.deepEqual(
        findings.map((f) => `${f.probe} ${f.target} ${f.severity}`),
        ['topology test-primary ok', 'topology test-replica ok', 'replication-lag test-replica ok'],
      );
    });

    it('keeps a timeline of the runs in the record, with notes from a note cell and the command', async () => {
      const timelineEntries = () => {
        const cell = editor.notebook.getCells().find((c) => c.metadata.cnbook === 'timeline');
        return (cell?.metadata.timeline?.entries ?? []) as { kind: string; text?: string; cell?: number }[];
      };
      const runs = timelineEntries().filter((e) => e.kind === 'run');
      const ran = editor.notebook.getCells().filter((c) => c.executionSummary?.success !== undefined);
      assert.ok(ran.length >= 4, 'the earlier steps ran cells');
      for (const cell of ran)
        assert.ok(
          runs.some((e) => e.cell === cell.index),
          `cell ${cell.index} ran, so the timeline says so: ${JSON.stringify(runs)}`,
        );
      await vscode.commands.executeCommand('cnbook.addTimelineNote', 'Paused replica <b>found</b> | by probe');
      await waitFor(() => timelineEntries().some((e) => e.kind === 'note'), 10_000, 'the note in the timeline');
      const edit = new vscode.WorkspaceEdit();
      const note = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'Failed over to us-west', 'note');
      const at = editor.notebook.getCells().findIndex((c) => c.metadata.cnbook);
      edit.set(editor.notebook.uri, [vscode.NotebookEdit.insertCells(at, [note])]);
      await vscode.workspace.applyEdit(edit);
      const noteCell = await runCell(editor, at);
      assert.equal(noteCell.executionSummary?.success, true);
      const notes = timelineEntries()
        .filter((e) => e.kind === 'note')
        .map((e) => e.text);
      assert.deepEqual(notes, ['Paused replica <b>found</b> | by probe', 'Failed over to us-west']);
      const table = editor.notebook
        .getCells()
        .find((c) => c.metadata.cnbook === 'timeline')
        ?.document.getText();
      assert.match(table ?? '', /Paused replica &lt;b&gt;found&lt;\/b&gt; \\\| by probe/);
      // Out again, so the later steps see the runbook's own cells where they expect them.
      const remove = new vscode.WorkspaceEdit();
      remove.set(editor.notebook.uri, [vscode.NotebookEdit.deleteCells(new vscode.NotebookRange(at, at + 1))]);
      await vscode.workspace.applyEdit(remove);
    });

    it('runs a cell on every connection and shows the results side by side', async () => {
      const cell = await runCell(editor, 5);
      const payload = outputJson(cell, RESULT_MIME);
      assert.deepEqual(
        payload.results.map((r: { connection: string }) => r.connection),
        ['test-primary', 'test-replica'],
      );
      assert.equal(payload.comparison.agree, true);
      await vscode.commands.executeCommand('notebook.focusTop');
      await new Promise((r) => setTimeout(r, 1500));
      await screenshot('notebook-results');
      // Now make the replica stale: pause its replay, change a row on the primary, run the cell again.
      await replicaQuery('SELECT pg_wal_replay_pause()');
      try {
        await primaryQuery("UPDATE orders SET status = 'chargeback' WHERE id = 22");
        await new Promise((r) => setTimeout(r, 300));
        const again = outputJson(await runCell(editor, 5), RESULT_MIME);
        assert.equal(again.comparison.agree, false);
        assert.deepEqual(again.comparison.differingRows, { 'test-primary': [1], 'test-replica': [1] });
        editor.revealRange(new vscode.NotebookRange(4, 6), vscode.NotebookEditorRevealType.AtTop);
        await new Promise((r) => setTimeout(r, 1500));
        await screenshot('side-by-side');
        // The probes see the stale replica too, and the Investigation Map beside the runbook follows.
        const probeCell = await runCell(editor, 7);
        const lag = outputJson(probeCell, 'application/vnd.cnbook.findings+json').findings.find(
          (f: { probe: string }) => f.probe === 'replication-lag',
        );
        assert.equal(lag.severity, 'warning');
        const api = vscode.extensions.getExtension<{
          lastMapRender(): { chart: string; nodeClasses: Record<string, string[]> } | undefined;
        }>(EXTENSION_ID)?.exports;
        await waitFor(() => api?.lastMapRender()?.chart === 'eventual', 30_000, 'the map to render the eventual chart');
        const render = api!.lastMapRender()!;
        assert.deepEqual(render.nodeClasses.Host1, ['cn-warning'], JSON.stringify(render.nodeClasses));
        assert.deepEqual(render.nodeClasses.Config, ['cn-warning']);
        await new Promise((r) => setTimeout(r, 500));
        await screenshot('investigation-map-in-vscode');
        // Clicks in the map take the user to the runbook: the next-step link, then the lagging host's node.
        const selected = () => vscode.window.activeNotebookEditor?.selections[0]?.start;
        editor.selections = [new vscode.NotebookRange(0, 1)];
        if (await clickInWebview('next-cell', '#next-cell')) {
          await waitFor(() => selected() === 7, 10_000, 'the next-step link to select cell 8');
          editor.selections = [new vscode.NotebookRange(0, 1)];
          assert.equal(selected(), 0);
          // Focus moving to the notebook re-renders the map; mermaid's scratch copy has no handlers.
          await new Promise((r) => setTimeout(r, 1500));
          await clickInWebview('host-node', '#chart g.node[id*="flowchart-Host1-"]');
          await waitFor(() => selected() === 7, 10_000, 'a click on the replica node to select the probe cell');
        }
      } finally {
        await replicaQuery('SELECT pg_wal_replay_resume()');
      }
    });

    it('saves the record and reads it back with the same outputs, byte for byte', async () => {
      assert.ok(await editor.notebook.save(), 'saved');
      const saved = fs.readFileSync(editor.notebook.uri.fsPath);
      // The record holds the diagnosis, with a chart a Markdown viewer can draw.
      assert.match(
        saved.toString('utf8'),
        /## Diagnosis\n\n🟡 \*\*Eventual consistency\*\*: replay paused on test-replica/,
      );
      assert.match(saved.toString('utf8'), /```mermaid\nflowchart TD\n/);
      const copy = workspaceFile('copy-of-orders.cnbook');
      fs.writeFileSync(copy.fsPath, saved);
      const reopened = await vscode.workspace.openNotebookDocument(copy);
      assert.deepEqual(outputBytes(reopened), outputBytes(editor.notebook));
      // Edit and undo the edit, so VS Code serializes the notebook again; the bytes must not move.
      const first = reopened.cellAt(0);
      const original = first.document.getText();
      for (const text of ['changed', original]) {
        const edit = new vscode.WorkspaceEdit();
        edit.replace(first.document.uri, new vscode.Range(0, 0, first.document.lineCount, 0), text);
        await vscode.workspace.applyEdit(edit);
      }
      assert.ok(await reopened.save(), 'the copy saved');
      assert.equal(fs.readFileSync(copy.fsPath).toString('utf8'), saved.toString('utf8'));
    });

    it('opens a new incident from a runbook in incidents/, with incident: filled', async () => {
      const created = await vscode.commands.executeCommand<vscode.Uri | undefined>(
        'cnbook.newIncident',
        workspaceFile('orders.cnbook'),
        { title: 'Replica serves stale orders', severity: 'sev2' },
      );
      assert.ok(created, 'the command returns the new record');
      assert.match(created.path, /\/incidents\/\d{4}-\d{2}-\d{2}-replica-serves-stale-orders\.cnbook$/);
      const active = vscode.window.activeNotebookEditor?.notebook;
      assert.equal(active?.uri.toString(), created.toString());
      const incident = (active?.metadata.frontMatter as { incident?: Record<string, unknown> }).incident;
      assert.equal(incident?.title, 'Replica serves stale orders');
      assert.equal(incident?.severity, 'sev2');
      assert.ok(!Number.isNaN(Date.parse(String(incident?.opened))), 'opened is a time');
      const runbookCells = editor.notebook.getCells().filter((cell) => !cell.metadata.cnbook);
      assert.equal(active?.cellCount, runbookCells.length, 'the runbook cells, no record cells');
      assert.ok(
        active?.getCells().every((cell) => cell.outputs.length === 0),
        'no outputs of earlier runs',
      );
    });

    it('refuses to open a malformed runbook and leaves the file untouched', async () => {
      const bad = workspaceFile('broken.cnbook');
      const text = '---\ncnbook: 1\n---\n```sql\nSELECT 1\n';
      fs.writeFileSync(bad.fsPath, text);
      await assert.rejects(
        async () => vscode.workspace.openNotebookDocument(bad),
        /line 4: unclosed code fence opened here; expected a closing ``` line/,
      );
      assert.equal(fs.readFileSync(bad.fsPath, 'utf8'), text);
    });

    it('refuses a runbook that is not UTF-8, naming the line, column and byte, and leaves it untouched', async () => {
      const latin1 = workspaceFile('latin1.cnbook');
      const bytes = Buffer.concat([
        Buffer.from("---\ncnbook: 2\n---\n```sql\nSELECT 'caf"),
        Buffer.from([0xe9, 0x27, 0x0a]),
      ]);
      fs.writeFileSync(latin1.fsPath, bytes);
      await assert.rejects(
        async () => vscode.workspace.openNotebookDocument(latin1),
        /line 5: column 12 \(byte offset 36\) is not UTF-8: e9 starts a 3-byte sequence cut short by the byte 27/,
      );
      assert.ok(fs.readFileSync(latin1.fsPath).equals(bytes), 'the bytes are as they were');
    });

    it('keeps a BOM: an edit undone and saved gives the same bytes', async () => {
      const file = workspaceFile('bom.cnbook');
      const bytes = Buffer.from('\uFEFF---\ncnbook: 2\n---\n# Step\n\n```sql\nSELECT 1\n```\n', 'utf8');
      fs.writeFileSync(file.fsPath, bytes);
      const notebook = await vscode.workspace.openNotebookDocument(file);
      const first = notebook.cellAt(0);
      const original = first.document.getText();
      for (const text of ['changed', original]) {
        const edit = new vscode.WorkspaceEdit();
        edit.replace(first.document.uri, new vscode.Range(0, 0, first.document.lineCount, 0), text);
        await vscode.workspace.applyEdit(edit);
      }
      assert.ok(await notebook.save(), 'saved');
      assert.ok(fs.readFileSync(file.fsPath).equals(bytes), 'the BOM and every other byte kept');
    });
  });
}

function outputBytes(notebook: vscode.NotebookDocument): string[] {
  return notebook
    .getCells()
    .flatMap((cell) =>
      cell.outputs.flatMap((o) => o.items.map((i) => `${i.mime}:${Buffer.from(i.data).toString('base64')}`)),
    );
}
