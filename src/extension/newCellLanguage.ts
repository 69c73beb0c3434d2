import * as vscode from 'vscode';
import { SQL_CELL_LANGUAGE } from './cellLanguage';

/**
 * *+ Code* copies the language of the cell above (VS Code's rule), so below a probe it made a probe cell and
 * `SELECT …` failed with "expected key=value". As in a SQL notebook, a new empty code cell gets the language
 * last chosen in that notebook (picked in a cell's language menu), SQL until the user picks another.
 */
export class NewCellLanguage implements vscode.Disposable {
  private readonly chosen = new WeakMap<vscode.NotebookDocument, string>();
  /** Each cell's language as last seen, to tell a language change from a text edit. */
  private readonly known = new WeakMap<vscode.NotebookCell, string>();
  /** The language this class is giving a new cell, so its own change is not taken for the user's choice. */
  private readonly giving = new WeakMap<vscode.NotebookCell, string>();
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    vscode.workspace.notebookDocuments.forEach((notebook) => this.opened(notebook));
    this.subscriptions = [
      vscode.workspace.onDidOpenNotebookDocument((notebook) => this.opened(notebook)),
      vscode.workspace.onDidChangeNotebookDocument((event) => this.changed(event)),
    ];
  }

  private opened(notebook: vscode.NotebookDocument): void {
    if (notebook.notebookType !== 'cnbook') return;
    for (const cell of notebook.getCells()) this.known.set(cell, cell.document.languageId);
  }

  private changed(event: vscode.NotebookDocumentChangeEvent): void {
    if (event.notebook.notebookType !== 'cnbook') return;
    for (const change of event.contentChanges) change.addedCells.forEach((cell) => this.added(event.notebook, cell));
    for (const change of event.cellChanges) if (change.document) this.languageMaybeChanged(event.notebook, change.cell);
  }

  private added(notebook: vscode.NotebookDocument, cell: vscode.NotebookCell): void {
    const language = cell.document.languageId;
    this.known.set(cell, language);
    // Only a cell made empty by + Code: pasted, undone or journal-folded cells keep what they carry.
    const fresh =
      cell.document.getText() === '' &&
      cell.outputs.length === 0 &&
      cell.executionSummary?.executionOrder === undefined;
    const wanted = this.chosen.get(notebook) ?? SQL_CELL_LANGUAGE;
    if (cell.kind !== vscode.NotebookCellKind.Code || !fresh || language === wanted) return;
    this.giving.set(cell, wanted);
    void vscode.languages.setTextDocumentLanguage(cell.document, wanted);
  }

  private languageMaybeChanged(notebook: vscode.NotebookDocument, cell: vscode.NotebookCell): void {
    const now = cell.document.languageId;
    const before = this.known.get(cell);
    this.known.set(cell, now);
    const giving = this.giving.get(cell);
    if (giving !== undefined) {
      if (now === giving) this.giving.delete(cell);
      return;
    }
    if (before !== undefined && before !== now) this.chosen.set(notebook, now);
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
  }
}
