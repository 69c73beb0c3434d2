import * as fs from 'node:fs';
import { parseNotebookBytes } from '../core/format';
import type { Notebook } from '../core/format/model';
import { checkRunbook, formatRunbookProblem } from '../core/run/checkRunbook';
import { pgpassFileLabel } from '../core/connections/passwords';
import { bindingWarnings, resolveProfile } from '../core/connections/resolve';
import { loginTemplateMissing, rolesToDeclare } from '../core/cluster/bindProfile';
import { requiredRoles, runbookInfo } from '../core/run/runbookInfo';
import { lastValue, parseFlags, type FlagKind } from './flags';
import { sandboxArg } from './diffArgs';
import { commandConnections } from './sandboxConnections';
import { SANDBOX_PROFILE } from '../core/sandbox/profile';
import { UsageError } from './usageError';
import { chooseProfile, type LoadedConnections } from './loadConnections';
import { nodeEnvironment } from '../drivers/nodeEnvironment';
import { NodePostgresClient } from '../drivers/pgClient';
import type { ResolvedConnection } from '../core/connections/model';
import { privilegeWarnings, readRolePrivileges } from '../core/connections/privileges';
import { DEFAULT_LIMITS } from '../core/defaults';
import { SessionPool } from '../core/sql/sessionPool';
import { journalBeside } from '../drivers/recordJournal';
import { describeJournaledWrite } from '../core/record/journal';
import { printOut, printErr } from './output';

/**
 * Validates runbooks without running them: format, annotations, roles (and the profile, given connections).
 * Given connections, it also logs in to each (unless --offline) to warn of a role with more rights than needed.
 */
const CHECK_FLAGS: Record<string, FlagKind> = {
  '--connections': 'value',
  '--sandbox': 'inline-optional',
  '--profile': 'value',
  '--offline': 'switch',
};

export async function checkCommand(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, CHECK_FLAGS);
  const files = flags.positionals;
  const sandbox = sandboxArg(lastValue(flags, '--sandbox'));
  const connections = lastValue(flags, '--connections');
  const profile = sandbox.sandbox !== undefined ? SANDBOX_PROFILE : lastValue(flags, '--profile');
  if (files.length === 0) throw new UsageError('check needs at least one runbook file');
  if (sandbox.sandbox !== undefined && lastValue(flags, '--profile'))
    throw new UsageError('--sandbox uses the built-in sandbox profile; drop --profile');
  const loaded =
    connections || sandbox.sandbox !== undefined
      ? commandConnections({ connections, ...sandbox }, nodeEnvironment().homeDir)
      : undefined;
  let problems = 0;
  const bound = new Map<string, ResolvedConnection>();
  for (const file of files) {
    const messages = checkFile(file, loaded, profile, bound);
    messages.forEach((m) => printErr(m));
    problems += messages.length;
    if (messages.length === 0) printOut(`${file}: ok`);
  }
  if (!flags.values.has('--offline')) for (const warning of await loginWarnings([...bound.values()])) printErr(warning);
  return problems === 0 ? 0 : 3;
}

/** Logs in to each connection, in parallel and bounded by the connect timeout; warnings never fail a check. */
async function loginWarnings(connections: ResolvedConnection[]): Promise<string[]> {
  if (connections.length === 0) return [];
  const pool = new SessionPool(NodePostgresClient.fromEnvironment(nodeEnvironment()), {
    connectTimeoutMs: DEFAULT_LIMITS.connectTimeoutMs,
    applicationName: 'cnbook check',
  });
  try {
    const found = await Promise.all(
      connections.map(async (connection) => {
        try {
          const session = await pool.get(connection);
          return privilegeWarnings(connection.name, await readRolePrivileges(session, 5000));
        } catch (error) {
          return [`${connection.name}: could not log in to check its role's rights: ${(error as Error).message}`];
        }
      }),
    );
    return found.flat().map((w) => `warning: ${w}`);
  } finally {
    await pool.closeAll();
  }
}

function checkFile(
  file: string,
  loaded: LoadedConnections | undefined,
  profile: string | undefined,
  bound: Map<string, ResolvedConnection>,
): string[] {
  let notebook: Notebook;
  try {
    notebook = parseNotebookBytes(fs.readFileSync(file));
  } catch (error) {
    const line = (error as { line?: number }).line;
    return [`${file}${line ? `:${line}` : ''}: ${(error as Error).message}`];
  }
  const messages = [...checkCells(file, notebook), ...journalMessages(file)];
  if (loaded) {
    try {
      const environment = nodeEnvironment();
      const info = runbookInfo(notebook);
      const chosen = chooseProfile(loaded.config, profile);
      const roles = requiredRoles(info, Object.keys(loaded.config.connections));
      // Roles the profile leaves to discovery are bound at run time: checked then, not here.
      const bindings = resolveProfile(loaded.config, chosen, rolesToDeclare(loaded.config, chosen, roles), environment);
      // Said, not counted: a password cnbook ignores does not make the runbook wrong.
      const declared = [...bindings.values()].flatMap((b) => b.connections);
      const noTemplate = loginTemplateMissing(chosen, loaded.config.discovery?.[chosen], declared);
      [...loaded.warnings, ...bindingWarnings(bindings), ...(noTemplate ? [noTemplate] : [])].forEach((w) =>
        printErr(`${file}: warning: ${w}`),
      );
      for (const binding of bindings.values()) for (const c of binding.connections) bound.set(c.name, c);
    } catch (error) {
      messages.push(`${file}: ${(error as Error).message}`);
    }
  }
  return messages;
}

function checkCells(file: string, notebook: Notebook): string[] {
  return checkRunbook(notebook, pgpassFileLabel(process.env)).map((problem) => formatRunbookProblem(file, problem));
}

/** A journal beside the record: a run wrote to a server and was killed before the record said so. */
function journalMessages(file: string): string[] {
  const journal = journalBeside(file);
  if (!journal) return [];
  const fold = `the next cnbook run ... --out ${file} folds it into the record`;
  return journal.writes.map(
    (w) => `${file}: cell ${w.cell + 1}: ${describeJournaledWrite(w)} (journal ${journal.file}; ${fold})`,
  );
}
