import * as fs from 'node:fs';
import { parseNotebook } from '../core/format';
import type { Notebook } from '../core/format/model';
import { redactSecrets } from '../core/connections/redact';
import { checkProbeCell } from '../core/probes/execute';
import { parseAnnotations } from '../core/sql/annotations';
import { resolveProfile } from '../core/connections/resolve';
import { requiredRoles, runbookInfo } from '../core/run/runbookInfo';
import { didYouMean } from '../core/util/suggest';
import { lastValue, parseFlags } from './flags';
import { UsageError } from './usageError';
import { cellParams } from '../core/run/params';
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
    notebook = parseNotebook(fs.readFileSync(file, 'utf8'));
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
  const messages: string[] = [];
  for (const cell of notebook.cells) {
    if (redactSecrets(cell.source) !== cell.source) {
      messages.push(
        `${file}:${cell.layout?.sourceLine ?? 1}: this cell holds what looks like a password; runbooks are shared records, put it in ~/.pgpass or PGPASSWORD`,
      );
    }
  }
  const info = runbookInfo(notebook);
  const declared = info.declaredRoles;
  for (const cell of notebook.cells) {
    if (cell.kind !== 'code') continue;
    const base = (cell.layout?.sourceLine ?? 1) - 1;
    for (const use of cellParams(info, {}, cell.language, cell.source).undeclared)
      if (cell.language === 'sql')
        messages.push(`${file}:${base + use.line}: :${use.name} is not declared under params: in the front matter`);
    if (cell.language === 'cnprobe') {
      for (const p of checkProbeCell(cell.source, undefined, info.params).problems)
        messages.push(`${file}:${base + p.line}:${p.column}: ${p.message}`);
      continue;
    }
    if (cell.language !== 'sql') continue;
    const { annotations, problems } = parseAnnotations(cell.source);
    for (const p of problems) messages.push(`${file}:${base + p.line}:${p.column}: ${p.message}`);
    if (!declared) continue;
    for (const name of annotations.on) {
      if (name === 'all' || declared.includes(name)) continue;
      const line = cell.source.split('\n').findIndex((l) => /--\s*@on\b/.test(l) && l.includes(name));
      messages.push(
        `${file}:${base + line + 1}: '${name}' is not a role of this runbook (roles: ${declared.join(', ')})${didYouMean(name, declared)}`,
      );
    }
  }
  return messages;
}
