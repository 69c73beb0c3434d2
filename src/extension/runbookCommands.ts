import * as vscode from 'vscode';
import { parseNotebookBytes, printNotebook } from '../core/format';
import type { Notebook } from '../core/format/model';
import { shippedRunbookOrder } from '../core/run/shippedRunbooks';
import { INCIDENT_SEVERITIES, incidentPath, newIncident, type IncidentSeverity } from '../core/record/incident';
import { CnbookSerializer } from './cnbookSerializer';

interface RunbookChoice extends vscode.QuickPickItem {
  uri?: vscode.Uri;
}

const BLANK_RUNBOOK =
  '---\ncnbook: 2\ntitle: New runbook\nroles: [primary, replicas]\n---\n# What is the alert?\n\n```sql\n-- @on all\nSELECT now(), pg_is_in_recovery();\n```\n';

/** New Runbook and New Incident from Runbook: both start from the shipped runbooks or the workspace's. */
export function registerRunbookCommands(extensionUri: vscode.Uri, osUser: () => string): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('cnbook.newRunbook', () => newRunbook(extensionUri)),
    vscode.commands.registerCommand('cnbook.newIncident', (runbook?: vscode.Uri, answers?: IncidentAnswers) =>
      newIncidentFromRunbook(extensionUri, osUser(), runbook, answers),
    ),
  ];
}

async function newRunbook(extensionUri: vscode.Uri): Promise<void> {
  const choices: RunbookChoice[] = [
    { label: 'Blank runbook', description: 'a step and a SQL cell to start from' },
    ...(await runbookChoices(extensionUri)),
  ];
  const picked = await vscode.window.showQuickPick(choices, { title: 'New runbook from…', matchOnDescription: true });
  if (!picked) return;
  const text = picked.uri ? await vscode.workspace.fs.readFile(picked.uri) : new TextEncoder().encode(BLANK_RUNBOOK);
  const data = new CnbookSerializer().deserializeNotebook(text);
  const document = await vscode.workspace.openNotebookDocument('cnbook', data);
  await vscode.window.showNotebookDocument(document);
}

/** Title and severity given by a caller (a walkthrough link, a test) instead of asked for. */
interface IncidentAnswers {
  title: string;
  severity: IncidentSeverity;
}

/** Writes the new record to the workspace's incidents/ and opens it; returns where it went. */
async function newIncidentFromRunbook(
  extensionUri: vscode.Uri,
  osUser: string,
  given?: vscode.Uri,
  answers?: IncidentAnswers,
): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showErrorMessage('Open a folder first: the incident record is written to its incidents/.');
    return undefined;
  }
  const uri = given ?? (await vscode.window.showQuickPick(await runbookChoices(extensionUri), pickTitle))?.uri;
  if (!uri) return undefined;
  const runbook = await readRunbook(uri);
  if (!runbook) return undefined;
  const request = answers ?? (await askIncident(runbook));
  if (!request) return undefined;
  const incident = newIncident(runbook, { ...request, responders: [osUser], now: new Date() });
  const fields = incident.frontMatter.incident as { opened: string; title: string; id: string };
  const existing = await filesIn(vscode.Uri.joinPath(folder.uri, 'incidents'));
  const taken = (path: string) => existing.has(path.replace(/^incidents\//, ''));
  const target = vscode.Uri.joinPath(folder.uri, incidentPath(fields, taken));
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(printNotebook(incident)));
  await vscode.window.showNotebookDocument(await vscode.workspace.openNotebookDocument(target));
  void vscode.window.showInformationMessage(`Incident ${fields.id} opened: ${vscode.workspace.asRelativePath(target)}`);
  return target;
}

const pickTitle = { title: 'New incident from which runbook?', matchOnDescription: true };

async function askIncident(runbook: Notebook): Promise<IncidentAnswers | undefined> {
  const title = await vscode.window.showInputBox({
    title: 'Incident title',
    value: typeof runbook.frontMatter.title === 'string' ? runbook.frontMatter.title : '',
    validateInput: (text) => (text.trim() ? undefined : 'An incident needs a title'),
  });
  if (title === undefined) return undefined;
  const severity = await vscode.window.showQuickPick([...INCIDENT_SEVERITIES], {
    title: 'Severity',
    placeHolder: 'sev1 is the most severe',
  });
  return severity ? { title, severity: severity as IncidentSeverity } : undefined;
}

async function readRunbook(uri: vscode.Uri): Promise<Notebook | undefined> {
  try {
    return parseNotebookBytes(await vscode.workspace.fs.readFile(uri));
  } catch (error) {
    const line = (error as { line?: number }).line;
    const where = `${vscode.workspace.asRelativePath(uri)}${line ? `:${line}` : ''}`;
    void vscode.window.showErrorMessage(`Cannot read ${where}: ${(error as Error).message}`);
    return undefined;
  }
}

/** The shipped runbooks, then the workspace's own (records under incidents/ are not runbooks). */
async function runbookChoices(extensionUri: vscode.Uri): Promise<RunbookChoice[]> {
  const shipped = await filesIn(vscode.Uri.joinPath(extensionUri, 'runbooks'));
  const shippedUris = shippedRunbookOrder([...shipped]).map((name) =>
    vscode.Uri.joinPath(extensionUri, 'runbooks', name),
  );
  const workspace = await vscode.workspace.findFiles('**/*.cnbook', '{**/node_modules/**,**/incidents/**}', 200);
  const describe = async (uri: vscode.Uri, where: string): Promise<RunbookChoice> => ({
    label: (await titleOf(uri)) ?? uri.path.split('/').pop() ?? uri.path,
    description: where,
    uri,
  });
  return Promise.all([
    ...shippedUris.map((uri) => describe(uri, 'shipped with cnbook')),
    ...workspace.map((uri) => describe(uri, vscode.workspace.asRelativePath(uri))),
  ]);
}

async function titleOf(uri: vscode.Uri): Promise<string | undefined> {
  try {
    const title = parseNotebookBytes(await vscode.workspace.fs.readFile(uri)).frontMatter.title;
    return typeof title === 'string' && title.trim() ? title : undefined;
  } catch {
    // A malformed file is still listed by its name; opening it says what is wrong.
    return undefined;
  }
}

async function filesIn(folder: vscode.Uri): Promise<Set<string>> {
  try {
    return new Set((await vscode.workspace.fs.readDirectory(folder)).map(([name]) => name));
  } catch {
    return new Set();
  }
}
