import * as vscode from 'vscode';
import { privilegeWarnings, readRolePrivileges } from '../core/connections/privileges';
import { parsePostgresUrl } from '../core/connections/url';
import type { ConnectionManager } from './connectionManager';

export function registerCommands(connections: ConnectionManager): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('cnbook.selectProfile', () => selectProfile(connections)),
    vscode.commands.registerCommand('cnbook.addConnection', () => addConnection(connections)),
    vscode.commands.registerCommand('cnbook.testConnection', (name?: string) => testConnection(connections, name)),
    vscode.commands.registerCommand('cnbook.forgetPassword', (name?: string) => forgetPassword(connections, name)),
  ];
}

async function selectProfile(connections: ConnectionManager): Promise<void> {
  const config = connections.config();
  const items = Object.entries(config.profiles).map(([name, roles]) => ({
    label: name,
    description: Object.entries(roles)
      .map(([role, target]) => `${role} → ${[target].flat().join(', ')}`)
      .join('  '),
  }));
  // The built-in sandbox is always on the list; picking it starts it when it is not running.
  if (!config.profiles.sandbox)
    items.push({
      label: 'sandbox',
      description: 'built-in: starts a local PostgreSQL sandbox with replicas and faults',
    });
  const picked = await vscode.window.showQuickPick(items, { title: 'Run runbooks on which profile?' });
  if (picked?.label === 'sandbox' && !config.profiles.sandbox) {
    await vscode.commands.executeCommand('cnbook.sandbox.start');
    return;
  }
  if (picked)
    await vscode.workspace
      .getConfiguration('cnbook')
      .update('activeProfile', picked.label, vscode.ConfigurationTarget.Global);
}

async function addConnection(connections: ConnectionManager): Promise<void> {
  const name = await vscode.window.showInputBox({
    title: 'Connection name',
    prompt: 'e.g. prod-primary',
    validateInput: (v) => (/^[\w.-]+$/.test(v) ? undefined : 'letters, digits, . _ - only'),
  });
  if (!name) return;
  const url = await vscode.window.showInputBox({
    title: `URL for ${name}`,
    prompt:
      'postgres://user@host:5432/database?sslmode=require — no password: you are asked for it once, and it is kept in secret storage',
    validateInput: (v) => {
      try {
        return parsePostgresUrl(v, 'URL').hadPassword ? 'leave the password out of the URL' : undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  });
  if (!url) return;
  const config = vscode.workspace.getConfiguration('cnbook');
  const current = config.inspect<Record<string, unknown>>('connections')?.globalValue ?? {};
  await config.update('connections', { ...current, [name]: { url } }, vscode.ConfigurationTarget.Global);
  void vscode.window.showInformationMessage(`Added connection '${name}'. Map it to a role in cnbook.profiles.`);
  await testConnection(connections, name);
}

async function pickConnection(connections: ConnectionManager, title: string): Promise<string | undefined> {
  const names = Object.keys(connections.config().connections);
  return names.length === 0 ? undefined : vscode.window.showQuickPick(names, { title });
}

/** What Test Connection found; returned to callers of the command too (tests, other extensions). */
export type ConnectionTest =
  | { connection: string; ok: true; serverVersion: string; inRecovery: boolean; ms: number; warnings: string[] }
  | { connection: string; ok: false; message: string };

async function testConnection(connections: ConnectionManager, name?: string): Promise<ConnectionTest | undefined> {
  const chosen = name ?? (await pickConnection(connections, 'Test which connection?'));
  if (!chosen) return undefined;
  const started = Date.now();
  const poolKey = `test-connection:${chosen}`;
  try {
    const connection = connections.resolve(chosen);
    const session = await connections.poolFor(poolKey).get(connection);
    const outcome = await session.runTransaction([{ text: 'SELECT 1', values: [], offset: 0 }], {
      readOnly: true,
      statementTimeoutMs: 5000,
      lockTimeoutMs: 1000,
      maxRowsStored: 1,
      batchSize: 1,
    });
    const ms = Date.now() - started;
    const warnings = privilegeWarnings(chosen, await readRolePrivileges(session, 5000));
    const role = outcome.server.inRecovery ? 'standby (in recovery)' : 'primary (not in recovery)';
    void vscode.window.showInformationMessage(
      `${chosen}: PostgreSQL ${outcome.server.serverVersion}, ${role}, ${ms} ms to connect and query.`,
    );
    for (const warning of warnings) void vscode.window.showWarningMessage(warning);
    return {
      connection: chosen,
      ok: true,
      serverVersion: outcome.server.serverVersion,
      inRecovery: outcome.server.inRecovery,
      ms,
      warnings,
    };
  } catch (error) {
    const message = (error as Error).message;
    void vscode.window.showErrorMessage(`${chosen}: ${message}`);
    return { connection: chosen, ok: false, message };
  } finally {
    await connections.closePool(poolKey);
  }
}

async function forgetPassword(connections: ConnectionManager, name?: string): Promise<void> {
  const chosen = name ?? (await pickConnection(connections, 'Forget the stored password of which connection?'));
  if (!chosen) return;
  const had = await connections.forgetPassword(chosen);
  void vscode.window.showInformationMessage(
    had ? `Forgot the stored password of '${chosen}'.` : `No password was stored for '${chosen}'.`,
  );
}
