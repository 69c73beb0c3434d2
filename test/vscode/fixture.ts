/**
 * What every VS Code test run needs, whichever launcher starts VS Code: a real PostgreSQL primary and
 * replica with test data, a fresh copy of the workspace fixture, and user settings pointing at the cluster.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgCluster, startCluster, waitForReplay } from '../helpers/pgCluster';

export interface VscodeFixture {
  cluster: PgCluster;
  root: string;
  workspace: string;
  userDataDir: string;
  extensionsDir: string;
  signalDir: string;
  env: Record<string, string>;
  dispose(): Promise<void>;
}

const SCHEMA = `
CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL, total_amount numeric(12,2) NOT NULL, note text);
INSERT INTO orders SELECT g, CASE WHEN g % 3 = 0 THEN 'refunded' ELSE 'paid' END, g * 10.5, CASE WHEN g % 2 = 0 THEN NULL ELSE '<b>note ' || g || '</b>' END
FROM generate_series(1, 25) g;`;

export async function createFixture(repoRoot: string): Promise<VscodeFixture> {
  const cluster = await startCluster({ replicas: 1 });
  await cluster.primary.query(SCHEMA);
  await waitForReplay(cluster);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-vscode-'));
  const workspace = path.join(root, 'workspace');
  fs.cpSync(path.join(repoRoot, 'test', 'vscode', 'workspace'), workspace, { recursive: true });
  const userDataDir = path.join(root, 'user-data');
  const extensionsDir = path.join(root, 'extensions');
  const signalDir = path.join(root, 'signals');
  for (const dir of [path.join(userDataDir, 'User'), extensionsDir, signalDir]) fs.mkdirSync(dir, { recursive: true });
  // Machine-scoped settings (connections) come from the remote machine's settings in code-server.
  fs.mkdirSync(path.join(userDataDir, 'Machine'), { recursive: true });
  for (const scope of ['User', 'Machine'])
    fs.writeFileSync(path.join(userDataDir, scope, 'settings.json'), JSON.stringify(userSettings(cluster), null, 2));
  // A workspace that tries to redirect connections: the extension must ignore it.
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(
    path.join(workspace, '.vscode', 'settings.json'),
    JSON.stringify(
      {
        'cnbook.connections': { 'test-primary': { url: 'postgres://attacker@127.0.0.1:1/stolen' } },
        'cnbook.activeProfile': 'evil',
      },
      null,
      2,
    ),
  );
  const env = {
    CNBOOK_TEST_PRIMARY_URL: cluster.primary.url,
    CNBOOK_TEST_REPLICA_URL: cluster.replicas[0]!.url,
    CNBOOK_TEST_SIGNAL_DIR: signalDir,
    CNBOOK_TEST_WORKSPACE: workspace,
  };
  return {
    cluster,
    root,
    workspace,
    userDataDir,
    extensionsDir,
    signalDir,
    env,
    dispose: async () => {
      await cluster.destroy();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

function userSettings(cluster: PgCluster): Record<string, unknown> {
  const replica = cluster.replicas[0]!;
  return {
    'cnbook.connections': {
      'test-primary': { url: `${cluster.primary.url}?sslmode=disable`, allowWrites: true, label: 'test primary' },
      'test-replica': {
        host: '127.0.0.1',
        port: replica.port,
        user: 'postgres',
        database: 'postgres',
        sslmode: 'disable',
      },
      // Nothing listens on port 1: Test Connection must say so.
      'test-down': { host: '127.0.0.1', port: 1, user: 'postgres', database: 'postgres', sslmode: 'disable' },
    },
    'cnbook.profiles': { test: { primary: 'test-primary', replicas: ['test-replica'] } },
    'cnbook.activeProfile': 'test',
    'cnbook.statementTimeout': '20s',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
    'notebook.confirmDeleteRunningCell': false,
    'security.workspace.trust.startupPrompt': 'never',
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
  };
}
