import * as fs from 'node:fs';
import { parseNotebookBytes } from '../core/format';
import type { Notebook } from '../core/format/model';
import { checkRunbook, formatRunbookProblem } from '../core/run/checkRunbook';
import { resolveProfile } from '../core/connections/resolve';
import { requiredRoles, runbookInfo } from '../core/run/runbookInfo';
import { lastValue, parseFlags } from './flags';
import { UsageError } from './usageError';
import { chooseProfile, loadConnections } from './loadConnections';
import { nodeEnvironment } from '../drivers/nodeEnvironment';

/** Validates runbooks without running them: format, annotations, roles (and the profile, given connections). */
export function checkCommand(argv: string[]): number {
  const flags = parseFlags(argv, { '--connections': 'value', '--profile': 'value' });
  const files = flags.positionals;
  const connections = lastValue(flags, '--connections');
  const profile = lastValue(flags, '--profile');
  if (files.length === 0) throw new UsageError('check needs at least one runbook file');
  let problems = 0;
  for (const file of files) {
    const messages = checkFile(file, connections, profile);
    messages.forEach((m) => console.error(m));
    problems += messages.length;
    if (messages.length === 0) console.log(`${file}: ok`);
  }
  return problems === 0 ? 0 : 3;
}

function checkFile(file: string, connections: string | undefined, profile: string | undefined): string[] {
  let notebook: Notebook;
  try {
    notebook = parseNotebookBytes(fs.readFileSync(file));
  } catch (error) {
    const line = (error as { line?: number }).line;
    return [`${file}${line ? `:${line}` : ''}: ${(error as Error).message}`];
  }
  const messages = checkCells(file, notebook);
  if (connections) {
    try {
      const environment = nodeEnvironment();
      const loaded = loadConnections(connections, environment.homeDir);
      const info = runbookInfo(notebook);
      resolveProfile(
        loaded.config,
        chooseProfile(loaded.config, profile),
        requiredRoles(info, Object.keys(loaded.config.connections)),
        environment,
      );
    } catch (error) {
      messages.push(`${file}: ${(error as Error).message}`);
    }
  }
  return messages;
}

function checkCells(file: string, notebook: Notebook): string[] {
  return checkRunbook(notebook).map((problem) => formatRunbookProblem(file, problem));
}
