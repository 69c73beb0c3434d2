import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { cellIdOf, parseNotebook } from '../../../src/core/format';
import type { Notebook } from '../../../src/core/format/model';
import type { Diagnosis } from '../../../src/core/diagnosis/model';
import { cellLabel, timelineOf } from '../../../src/core/record/timeline';
import { SQL_CELL_LANGUAGE } from '../../../src/extension/cellLanguage';
import { openRunbook, runCell, waitFor, workspaceFile } from './helpers';

/** A runbook written before cells had ids: two steps, each a SQL cell and a probe cell. */
const RUNBOOK = [
  '---',
  'cnbook: 2',
  'title: Stale orders',
  'roles: [primary, replicas]',
  '---',
  '# Step 1: count',
  '',
  '```sql',
  '-- @on primary',
  'SELECT count(*) AS orders FROM orders;',
  '```',
  '',
  '```cnprobe',
  'topology on=all',
  '```',
  '',
  '# Step 2: compare',
  '',
  '```sql',
  '-- @on all',
  'SELECT id, status FROM orders WHERE id > 20 ORDER BY id;',
  '```',
  '',
].join('\n');

/**
 * Every "cell N" of a saved record and the cell it stands for: the timeline's rows by their entries' ids,
 * the diagnosis' next step by its id. Asserts each names the cell where that id stands in the file.
 */
function checkReferences(notebook: Notebook): number {
  const ids = notebook.cells.filter((c) => c.kind === 'code').map(cellIdOf);
  assert.ok(
    ids.every((id) => id !== undefined),
    `every code cell has an id: ${JSON.stringify(ids)}`,
  );
  assert.equal(new Set(ids).size, ids.length, `the ids are unique: ${JSON.stringify(ids)}`);
  const indexOf = (id: string | undefined) => notebook.cells.findIndex((c) => id !== undefined && cellIdOf(c) === id);
  const timelineCell = notebook.cells.find((c) => c.metadata?.cnbook === 'timeline');
  const rows = (timelineCell?.source ?? '').split('\n').filter((line) => line.startsWith('| 20'));
  let checked = 0;
  timelineOf(notebook.cells).forEach((entry, i) => {
    if (entry.kind !== 'run') return;
    const index = indexOf(entry.cellId);
    assert.ok(index >= 0, `the run entry's cell ${entry.cellId} is in the record`);
    assert.equal(cellLabel(notebook.cells[index]!.source), entry.label, 'the entry names the cell that ran');
    assert.ok(rows[i]?.includes(`| ran cell ${index + 1} (`), `row ${i} says cell ${index + 1}: ${rows[i]}`);
    checked++;
  });
  const diagnosisCell = notebook.cells.find((c) => c.metadata?.cnbook === 'diagnosis');
  const next = (diagnosisCell?.metadata?.diagnosis as Diagnosis | undefined)?.next;
  assert.ok(next?.cellId, `the diagnosis' next step names a cell: ${JSON.stringify(next)}`);
  const index = indexOf(next.cellId);
  assert.equal(next.cell, index, 'the next step stands where its id stands');
  assert.ok(diagnosisCell?.source.includes(`(cell ${index + 1} of the runbook)`), diagnosisCell?.source);
  return checked + 1;
}

async function apply(uri: vscode.Uri, edits: vscode.NotebookEdit[]): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.set(uri, edits);
  assert.ok(await vscode.workspace.applyEdit(edit), 'the edit applied');
}

/** A cell as data, with its metadata (its id) and outputs: what moving it carries along. */
function cellData(cell: vscode.NotebookCell): vscode.NotebookCellData {
  const data = new vscode.NotebookCellData(cell.kind, cell.document.getText(), cell.document.languageId);
  data.metadata = cell.metadata;
  data.outputs = [...cell.outputs];
  if (cell.executionSummary) data.executionSummary = cell.executionSummary;
  return data;
}

export function registerCellRefTests(): void {
  // Issue 18: a cell inserted above step 1 left the record saying "cell 12" for what was now cell 13, and
  // older timeline rows pointing at other cells.
  describe('references to cells in a saved incident', () => {
    it('name the right cells after cells are inserted above, pasted and moved', async () => {
      const file = workspaceFile('refs-incident.cnbook');
      fs.writeFileSync(file.fsPath, RUNBOOK);
      const editor = await openRunbook('refs-incident.cnbook');
      const notebook = editor.notebook;
      const code = () => notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code);
      assert.ok(
        code().every((c) => cellIdOf(c) !== undefined),
        'ids are given on open',
      );
      assert.equal(fs.readFileSync(file.fsPath, 'utf8'), RUNBOOK, 'opening writes nothing');
      // The timeline is written just after a cell's execution ends: a save in between would be cancelled.
      const runsInTimeline = (count: number) =>
        waitFor(
          () => timelineOf(notebook.getCells()).filter((e) => e.kind === 'run').length === count,
          10_000,
          `${count} runs in the timeline`,
        );
      await runCell(editor, 1);
      await runCell(editor, 2);
      await runsInTimeline(2);
      assert.ok(await notebook.save(), 'the incident saved');
      const saved = parseNotebook(fs.readFileSync(file.fsPath, 'utf8'));
      assert.ok(checkReferences(saved) >= 3);

      // A note and a query inserted above step 1, and a copy of the probe cell pasted (with its id) below.
      const probe = notebook.cellAt(2);
      const note = new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, 'Paged at 10:02', 'markdown');
      const query = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'SELECT now();', SQL_CELL_LANGUAGE);
      await apply(notebook.uri, [vscode.NotebookEdit.insertCells(0, [note, query])]);
      await apply(notebook.uri, [vscode.NotebookEdit.insertCells(6, [cellData(notebook.cellAt(4))])]);
      // Cells added in the editor get their ids when cells run (the timeline refers to them by it).
      await runCell(editor, 1);
      await runsInTimeline(3);
      assert.equal(
        new Set(code().map(cellIdOf)).size,
        code().length,
        'the new and the pasted cell have ids of their own',
      );
      // The probe cell (now 4) moved above the first query (now 3), as dragging it does.
      const moved = cellData(notebook.cellAt(4));
      await apply(notebook.uri, [vscode.NotebookEdit.deleteCells(new vscode.NotebookRange(4, 5))]);
      await apply(notebook.uri, [vscode.NotebookEdit.insertCells(3, [moved])]);
      assert.equal(cellIdOf(notebook.cellAt(3)), cellIdOf(probe), 'the moved cell keeps its id');
      assert.ok(await notebook.save(), 'the edited incident saved');
      const edited = parseNotebook(fs.readFileSync(file.fsPath, 'utf8'));
      const checked = checkReferences(edited);
      console.log(`METRIC cell references checked after the edits: ${checked}`);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });
  });
}
