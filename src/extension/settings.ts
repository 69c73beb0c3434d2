import * as vscode from 'vscode';
import { validateConnectionsConfig, ConfigWithWarnings } from '../core/connections/config';
import { pgpassFileLabel } from '../core/connections/passwords';
import { parseDuration } from '../core/util/duration';
import { DEFAULT_LIMITS } from '../core/defaults';

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
    pgpassFileLabel(process.env),
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
  maxValueBytes: number;
}

export function executionSettings(): ExecutionSettings {
  const config = vscode.workspace.getConfiguration('cnbook');
  const duration = (key: string, fallback: number) => parseDuration(config.get<string>(key) ?? '') ?? fallback;
  return {
    statementTimeoutMs: duration('statementTimeout', DEFAULT_LIMITS.statementTimeoutMs),
    lockTimeoutMs: duration('lockTimeout', DEFAULT_LIMITS.lockTimeoutMs),
    connectTimeoutMs: duration('connectTimeout', DEFAULT_LIMITS.connectTimeoutMs),
    maxRowsStored: Math.max(0, config.get<number>('maxRowsStored') ?? DEFAULT_LIMITS.maxRowsStored),
    maxValueBytes: Math.max(1, config.get<number>('maxValueBytes') ?? DEFAULT_LIMITS.maxValueBytes),
  };
}
