import * as vscode from 'vscode';
import type { ConnectionsConfig, ResolvedConnection, RoleBinding } from '../core/connections/model';
import { bindingWarnings, lookupPassword, resolveConnection, resolveProfile } from '../core/connections/resolve';
import { SessionPool } from '../core/sql/sessionPool';
import { bindProfile, type BoundProfile } from '../core/cluster/bindProfile';
import { readHaViewFromPatroni } from '../drivers/patroniClient';
import { nodeEnvironment } from '../drivers/nodeEnvironment';
import { NodePostgresClient } from '../drivers/pgClient';
import { activeProfileSetting, executionSettings, readConnectionSettings } from './settings';

const SECRET_PREFIX = 'cnbook.password.';

function emptyView(): Omit<BoundProfile, 'bindings' | 'warnings'> {
  return { nodes: [], unreachable: [], writable: [], replicas: [], findings: [] };
}

/** Owns connection settings, passwords (SecretStorage, then ~/.pgpass / PGPASSWORD) and one session pool per notebook. */
export class ConnectionManager implements vscode.Disposable {
  private readonly pools = new Map<string, SessionPool>();
  private readonly memories = new Map<string, Map<string, unknown>>();
  private readonly environment = nodeEnvironment();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('cnbook')) void this.reset();
      }),
      vscode.workspace.onDidCloseNotebookDocument((doc) => void this.closePool(doc.uri.toString())),
    );
  }

  get osUser(): string {
    return this.environment.osUser;
  }

  config(): ConnectionsConfig {
    const { config, warnings } = readConnectionSettings();
    warnings.forEach((w) => this.log.warn(w));
    if (!this.sandbox) return config;
    // The built-in sandbox profile, while the sandbox runs; its connections are named after its servers.
    return {
      ...config,
      connections: { ...config.connections, ...this.sandbox.connections },
      profiles: { ...config.profiles, ...this.sandbox.profiles },
    };
  }

  private sandbox: ConnectionsConfig | undefined;

  /** Published by the SandboxController: the sandbox's connections and profile, or undefined when it is down. */
  setSandbox(config: ConnectionsConfig | undefined): void {
    if (JSON.stringify(config) === JSON.stringify(this.sandbox)) return;
    this.sandbox = config;
    void this.reset();
  }

  activeProfile(config = this.config()): string | undefined {
    const chosen = activeProfileSetting();
    if (chosen) return chosen;
    const names = Object.keys(config.profiles);
    return names.length === 1 ? names[0] : names.includes('default') ? 'default' : undefined;
  }

  bindings(): Map<string, RoleBinding> {
    const config = this.config();
    const profile = this.activeProfile(config);
    if (profile === 'sandbox' && !config.profiles[profile])
      throw new Error("The cnbook sandbox is not running: run 'cnbook: Start Sandbox' (or pick another profile).");
    if (!profile)
      throw new Error(
        'No connection profile is selected: add connections and a profile in settings (cnbook.connections, cnbook.profiles), then pick one in the status bar.',
      );
    const bindings = resolveProfile(config, profile, [], this.environment);
    bindingWarnings(bindings).forEach((w) => this.log.warn(w));
    return bindings;
  }

  /**
   * The profile bound for one cell run, as `cnbook run` binds it (core bindProfile): every member asked what
   * it is on the notebook's sessions, the roles the profile leaves open bound to what was found.
   */
  async bindRun(notebookUri: string, roles: readonly string[], signal?: AbortSignal): Promise<BoundProfile> {
    const config = this.config();
    const profile = this.activeProfile(config);
    if (!profile || !config.profiles[profile]) return { ...emptyView(), bindings: this.bindings(), warnings: [] };
    const bound = await bindProfile({
      config,
      profile,
      roles,
      environment: this.environment,
      pool: this.poolFor(notebookUri),
      statementTimeoutMs: executionSettings().statementTimeoutMs,
      ...(signal ? { signal } : {}),
      readHaView: readHaViewFromPatroni(signal ? { signal } : {}),
    });
    [...bound.warnings, ...bindingWarnings(bound.bindings)].forEach((w) => this.log.warn(w));
    this.lastBound = bound.bindings;
    return bound;
  }

  private lastBound: Map<string, RoleBinding> | undefined;

  /** The roles as the last cell run found them (the map's host nodes), else as the profile declares them. */
  lastBindings(): Map<string, RoleBinding> {
    return this.lastBound ?? this.bindings();
  }

  resolve(name: string): ResolvedConnection {
    const spec = this.config().connections[name];
    if (!spec) throw new Error(`no connection named '${name}' in settings`);
    const connection = resolveConnection(name, spec, this.environment);
    connection.warnings?.forEach((w) => this.log.warn(w));
    return connection;
  }

  poolFor(notebookUri: string): SessionPool {
    let pool = this.pools.get(notebookUri);
    if (!pool) {
      const client = new NodePostgresClient((c) => this.password(c));
      pool = new SessionPool(client, {
        connectTimeoutMs: executionSettings().connectTimeoutMs,
        applicationName: 'cnbook (VS Code)',
      });
      this.pools.set(notebookUri, pool);
    }
    return pool;
  }

  /** What probes remember between runs in one notebook (e.g. deadlock counters). */
  memoryFor(notebookUri: string): Map<string, unknown> {
    let memory = this.memories.get(notebookUri);
    if (!memory) this.memories.set(notebookUri, (memory = new Map()));
    return memory;
  }

  /** ~/.pgpass and PGPASSWORD first, as psql does; otherwise the stored secret, asked for once. */
  private async password(connection: ResolvedConnection): Promise<string | undefined> {
    const fromFiles = lookupPassword(connection, this.environment).password;
    if (fromFiles !== undefined) return fromFiles;
    const key = SECRET_PREFIX + connection.name;
    const stored = await this.secrets.get(key);
    if (stored !== undefined) return stored;
    const typed = await vscode.window.showInputBox({
      title: `Password for ${connection.user}@${connection.host}:${connection.port}/${connection.database}`,
      prompt: `cnbook keeps it in VS Code's secret storage for connection '${connection.name}' (leave empty if none is needed)`,
      password: true,
      ignoreFocusOut: true,
    });
    if (typed) await this.secrets.store(key, typed);
    return typed || undefined;
  }

  async forgetPassword(name: string): Promise<boolean> {
    const had = (await this.secrets.get(SECRET_PREFIX + name)) !== undefined;
    await this.secrets.delete(SECRET_PREFIX + name);
    await this.reset();
    return had;
  }

  async closePool(uri: string): Promise<void> {
    const pool = this.pools.get(uri);
    this.pools.delete(uri);
    await pool?.closeAll();
  }

  async reset(): Promise<void> {
    this.lastBound = undefined;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.closeAll()));
    this.changed.fire();
  }

  dispose(): void {
    void this.reset();
    this.disposables.forEach((d) => d.dispose());
  }
}
