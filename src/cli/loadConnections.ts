import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConnectionsFile } from '../core/connections/config';
import type { ConnectionsConfig } from '../core/connections/model';
import { pgpassFileLabel } from '../core/connections/passwords';
import { UsageError } from './usageError';

export interface LoadedConnections {
  config: ConnectionsConfig;
  file: string;
  warnings: string[];
}

/** --connections, then $CNBOOK_CONNECTIONS, then ./cnbook.connections.json, then ~/.config/cnbook/connections.json. */
export function loadConnections(explicit: string | undefined, homeDir: string): LoadedConnections {
  const candidates = explicit
    ? [explicit]
    : [
        process.env.CNBOOK_CONNECTIONS,
        'cnbook.connections.json',
        path.join(homeDir, '.config', 'cnbook', 'connections.json'),
      ].filter((p): p is string => !!p);
  for (const file of candidates) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      if (explicit)
        throw new UsageError(
          `cannot read connections file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      continue;
    }
    return { ...parseConnectionsFile(text, file, pgpassFileLabel(process.env)), file };
  }
  throw new UsageError(
    `no connections file found (looked for ${candidates.join(', ')}); pass --connections FILE. See README: "Connections".`,
  );
}

export function chooseProfile(config: ConnectionsConfig, requested: string | undefined): string {
  if (requested) return requested;
  if (process.env.CNBOOK_PROFILE) return process.env.CNBOOK_PROFILE;
  const names = Object.keys(config.profiles);
  if (names.length === 1 && names[0]) return names[0];
  if (names.includes('default')) return 'default';
  throw new UsageError(
    names.length === 0
      ? 'the connections file defines no profiles; add "profiles": { "NAME": { "primary": "CONNECTION" } }'
      : `choose a profile with --profile (defined: ${names.join(', ')})`,
  );
}
