import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'cnbook.cnbook';
export const RESULT_MIME = 'application/vnd.cnbook.result+json';

export function workspaceFile(name: string): vscode.Uri {
  return vscode.Uri.file(path.join(process.env.CNBOOK_TEST_WORKSPACE ?? '', name));
}

export async function openRunbook(name: string): Promise<vscode.NotebookEditor> {
  const document = await vscode.workspace.openNotebookDocument(workspaceFile(name));
  const editor = await vscode.window.showNotebookDocument(document);
  await vscode.commands.executeCommand('notebook.selectKernel', { id: 'cnbook-postgres', extension: EXTENSION_ID });
  return editor;
}

export async function runCell(editor: vscode.NotebookEditor, index: number): Promise<vscode.NotebookCell> {
  const cell = editor.notebook.cellAt(index);
  const before = cell.executionSummary?.executionOrder;
  void vscode.commands.executeCommand('notebook.cell.execute', {
    ranges: [{ start: index, end: index + 1 }],
    document: editor.notebook.uri,
  });
  await waitFor(
    () => cell.executionSummary?.success !== undefined && cell.executionSummary.executionOrder !== before,
    60_000,
    `cell ${index} to finish`,
  );
  return cell;
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions walk arbitrary JSON
export function outputJson(cell: vscode.NotebookCell, mime: string): any {
  const item = cell.outputs.flatMap((o) => o.items).find((i) => i.mime === mime);
  return item ? JSON.parse(new TextDecoder().decode(item.data)) : undefined;
}

export function primaryQuery(sql: string, params: unknown[] = []) {
  return query(process.env.CNBOOK_TEST_PRIMARY_URL, sql, params);
}

export function replicaQuery(sql: string, params: unknown[] = []) {
  return query(process.env.CNBOOK_TEST_REPLICA_URL, sql, params);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows of ad-hoc test queries
async function query(url: string | undefined, sql: string, params: unknown[]): Promise<any[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Asks the launcher (outside VS Code, driving the browser) to click an element inside a webview. Only the
 * headless launcher can; under @vscode/test-electron this returns false.
 */
export async function clickInWebview(name: string, selector: string): Promise<boolean> {
  const dir = process.env.CNBOOK_TEST_SIGNAL_DIR;
  if (!dir) return false;
  fs.writeFileSync(path.join(dir, `click-${name}`), selector);
  const done = path.join(dir, `click-${name}.done`);
  await waitFor(() => fs.existsSync(done), 20_000, `click on ${selector}`);
  const outcome = fs.readFileSync(done, 'utf8');
  if (outcome !== 'clicked') throw new Error(outcome);
  return true;
}

/** Asks the launcher (outside VS Code) for a screenshot of the browser page, and waits for it. */
export async function screenshot(name: string): Promise<void> {
  const dir = process.env.CNBOOK_TEST_SIGNAL_DIR;
  if (!dir) return;
  fs.writeFileSync(path.join(dir, `shot-${name}`), '');
  await waitFor(() => fs.existsSync(path.join(dir, `shot-${name}.done`)), 20_000, `screenshot ${name}`);
}

/**
 * Asks the launcher to wait for VS Code's input box, read its title and message, and type into it: text, and
 * `{Enter}` or `{Escape}`. Only the headless launcher can; under @vscode/test-electron this returns undefined.
 */
export async function answerInputBox(
  name: string,
  keys: string[],
): Promise<{ title: string; message: string; password: boolean } | undefined> {
  const dir = process.env.CNBOOK_TEST_SIGNAL_DIR;
  if (!dir) return undefined;
  const request = {
    into: '.quick-input-widget input',
    keys,
    read: ['.quick-input-widget .quick-input-title', '.quick-input-widget .quick-input-message'],
  };
  fs.writeFileSync(path.join(dir, `keys-${name}`), JSON.stringify(request));
  const done = path.join(dir, `keys-${name}.done`);
  await waitFor(() => fs.existsSync(done), 30_000, `the input box for ${name}`);
  const outcome = JSON.parse(fs.readFileSync(done, 'utf8')) as {
    typed: boolean;
    error?: string;
    texts?: string[];
    inputType?: string | null;
  };
  if (!outcome.typed) throw new Error(`could not answer the input box: ${outcome.error}`);
  return {
    title: outcome.texts?.[0] ?? '',
    message: outcome.texts?.[1] ?? '',
    password: outcome.inputType === 'password',
  };
}
