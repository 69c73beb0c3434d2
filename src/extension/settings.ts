import * as vscode from 'vscode';
import { validateConnectionsConfig, ConfigWithWarnings } from '../core/connections/config';
import { parseDuration } from '../core/util/duration';

/**
 * Connection settings are read from user (and remote machine) settings only: a workspace, which may come
 * from anyone, must not be able to point a runbook at another server.
 */
export function readConnectionSettings(): ConfigWithWarnings {
  const config = vscode.workspace.getConfiguration('cnbook');
  const user = <T>(key: string): T | undefined => config.inspect<T>(key)?.globalValue;
  return validateConnectionsConfig(
    {
      connections: user<Record<string, unknown>>('connections') ?? {},
      profiles: user<Record<string, unknown>>('profiles') ?? {},
    },
    'settings (cnbook.connections / cnbook.profiles)',
  );
}

export function activeProfileSetting(): string | undefined {
  const value = vscode.workspace.getConfiguration('cnbook').inspect<string>('activeProfile')?.globalValue;
  return value ? value : undefined;
}

export interface ExecutionSettings {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  connectTimeoutMs: number;
  maxRowsStored: number;
}

export function executionSettings(): ExecutionSettings {
  const config = vscode.workspace.getConfiguration('cnbook');
  const duration = (key: string, fallback: number) => parseDuration(config.get<string>(key) ?? '') ?? fallback;
  return {
    statementTimeoutMs: duration('statementTimeout', 30_000),
    lockTimeoutMs: duration('lockTimeout', 5_000),
    connectTimeoutMs: duration('connectTimeout', 10_000),
    maxRowsStored: Math.max(0, config.get<number>('maxRowsStored') ?? 1000),
  };
}
