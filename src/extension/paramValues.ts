import * as vscode from 'vscode';
import { cellParams, cellParamUses, paramValueProblem, type ParamUse } from '../core/run/params';
import type { RunbookInfo } from '../core/run/runbookInfo';
import { isSecretParamName } from '../core/connections/redact';

const STATE_KEY = 'cnbook.params';

/** The cell being run, as far as its parameters go. */
export interface ParamRequest {
  info: RunbookInfo;
  notebookUri: string;
  language: string;
  source: string;
  /** 0-based, for the input box's title. */
  cellIndex?: number;
}

/** The user closed the input box: the run stops, and says so. */
export class ParamsNotGiven extends Error {}

/**
 * Parameter values given in VS Code, remembered per notebook in the workspace state: never in the notebook,
 * which is a shared incident record (see docs/format.md). Secret-looking names live in memory only.
 */
export class RememberedParams {
  private readonly secrets = new Map<string, Record<string, string>>();

  constructor(private readonly state: vscode.Memento) {}

  values(notebookUri: string): Record<string, string> {
    return { ...this.stored()[notebookUri], ...this.secrets.get(notebookUri) };
  }

  /** Which names have a value, and where it is kept (for the extension's API: names only, never values). */
  kept(notebookUri: string): { stored: string[]; inMemory: string[] } {
    return {
      stored: Object.keys(this.stored()[notebookUri] ?? {}),
      inMemory: Object.keys(this.secrets.get(notebookUri) ?? {}),
    };
  }

  remember(notebookUri: string, name: string, value: string): Promise<void> {
    const bucket = isSecretParamName(name) ? this.secretsOf(notebookUri) : undefined;
    if (bucket) {
      bucket[name] = value;
      return Promise.resolve();
    }
    const all = this.stored();
    return Promise.resolve(
      this.state.update(STATE_KEY, { ...all, [notebookUri]: { ...all[notebookUri], [name]: value } }),
    );
  }

  forget(notebookUri: string, name?: string): Promise<void> {
    const all = this.stored();
    const kept = { ...all[notebookUri] };
    if (name === undefined) this.secrets.delete(notebookUri);
    else delete this.secretsOf(notebookUri)[name];
    for (const key of Object.keys(kept)) if (name === undefined || key === name) delete kept[key];
    return Promise.resolve(this.state.update(STATE_KEY, { ...all, [notebookUri]: kept }));
  }

  /**
   * The values the cell runs with: defaults, remembered ones, and an input box for each parameter the cell
   * uses that has neither (or whose remembered value this cell cannot take). Throws ParamsNotGiven on cancel.
   */
  async settle(request: ParamRequest): Promise<Record<string, string>> {
    const { info, notebookUri, language, source } = request;
    const uses = cellParamUses(language, source, info.params);
    const { values, missing } = cellParams(info, this.values(notebookUri), language, source);
    const invalid = [...new Set(uses.map((u) => u.name))].filter((name) => {
      const value = values[name];
      return (
        value !== undefined &&
        paramValueProblem(
          uses.filter((u) => u.name === name),
          value,
        ) !== undefined
      );
    });
    for (const name of [...missing.map((u) => u.name), ...invalid]) {
      const value = await ask(
        name,
        uses.filter((u) => u.name === name),
        request.cellIndex,
        values[name],
      );
      if (value === undefined) throw new ParamsNotGiven(`no value was given for :${name}, so the cell did not run`);
      values[name] = value;
      await this.remember(notebookUri, name, value);
    }
    return values;
  }

  private stored(): Record<string, Record<string, string>> {
    return this.state.get<Record<string, Record<string, string>>>(STATE_KEY) ?? {};
  }

  private secretsOf(notebookUri: string): Record<string, string> {
    let bucket = this.secrets.get(notebookUri);
    if (!bucket) this.secrets.set(notebookUri, (bucket = {}));
    return bucket;
  }
}

async function ask(name: string, uses: ParamUse[], cellIndex: number | undefined, previous: string | undefined) {
  const first = uses[0];
  const where = cellIndex === undefined ? 'this cell' : `cell ${cellIndex + 1}`;
  const how = first?.probe
    ? `${first.probe.name} ${first.probe.key}: ${first.probe.spec.doc}`
    : first?.form === 'identifier'
      ? 'a table name, quoted as an identifier (schema.table allowed)'
      : 'a value, sent as a bind parameter';
  return vscode.window.showInputBox({
    title: `cnbook: value for :${name} (${where})`,
    prompt: `${where}, line ${first?.line ?? 1}: ${first?.lineText ?? ''} — ${how}`,
    value: previous,
    password: isSecretParamName(name),
    ignoreFocusOut: true,
    validateInput: (value) => paramValueProblem(uses, value),
  });
}

/** *cnbook: Change Remembered Parameters*: pick one to change or forget, or forget them all, for a notebook. */
export async function changeRememberedParams(
  remembered: RememberedParams,
  notebookUri?: string,
  /** From a caller that knows (tests, links): forget this one, or `*` for all, without asking. */
  forget?: string,
): Promise<void> {
  const uri = notebookUri ?? vscode.window.activeNotebookEditor?.notebook.uri.toString();
  if (uri && forget) return remembered.forget(uri, forget === '*' ? undefined : forget);
  if (!uri) {
    void vscode.window.showInformationMessage('Open a cnbook notebook to change its remembered parameters.');
    return;
  }
  const values = remembered.values(uri);
  const names = Object.keys(values);
  if (names.length === 0) {
    void vscode.window.showInformationMessage('No parameter values are remembered for this notebook.');
    return;
  }
  const forgetAll = { label: '$(trash) Forget all', name: undefined };
  const picked = await vscode.window.showQuickPick(
    [...names.map((name) => ({ label: `:${name}`, description: shown(name, values[name] ?? ''), name })), forgetAll],
    { title: 'Remembered parameter values: pick one to forget (it is asked again at the next run)' },
  );
  if (picked) await remembered.forget(uri, picked.name);
}

function shown(name: string, value: string): string {
  return isSecretParamName(name) ? '••••••' : value;
}
