import * as vscode from 'vscode';
import { parseAnnotations } from '../core/sql/annotations';
import { CellInputError } from '../core/sql/execute';
import { errorOutput } from '../core/sql/outputs';
import { runCodeCell } from '../core/run/cell';
import { resolveTargets } from '../core/sql/targets';
import { runbookInfo, settleParams } from '../core/run/runbookInfo';
import { redactSecrets } from '../core/connections/redact';
import type { CellRunner, CellRunRequest, CellRunResult } from './cellRunner';
import type { ConnectionManager } from './connectionManager';
import { executionSettings } from './settings';

/** Runs SQL cells against the active profile; asks before any write, naming the connections and hosts. */
export class SqlCellRunner implements CellRunner {
  constructor(private readonly connections: ConnectionManager, private readonly log: vscode.LogOutputChannel) {}

  async run(request: CellRunRequest): Promise<CellRunResult> {
    try {
      const info = runbookInfo({ frontMatter: request.frontMatter, cells: [] });
      const bindings = this.connections.bindings();
      const writesPermitted = await this.confirmWrites(request.source, bindings, info.defaultRole);
      const settings = executionSettings();
      const run = await runCodeCell(request.language, request.source, {
        bindings, defaultRole: info.defaultRole, pool: this.connections.poolFor(request.notebookUri),
        params: settleParams(info, {}), writesPermitted, osUser: this.connections.osUser, signal: request.signal,
        memory: this.connections.memoryFor(request.notebookUri), ...settings,
      }, 'this cell');
      if (run.error) this.log.warn(redactSecrets(run.error));
      return { outputs: run.outputs, success: run.status === 'ok' };
    } catch (error) {
      const name = error instanceof CellInputError ? 'Cell error' : 'Cannot run';
      return failed(name, redactSecrets((error as Error).message));
    }
  }

  private async confirmWrites(source: string, bindings: ReturnType<ConnectionManager['bindings']>, defaultRole: string): Promise<boolean> {
    const { annotations } = parseAnnotations(source);
    if (!annotations.write) return false;
    const targets = resolveTargets(annotations.on, bindings, defaultRole).map((t) => t.connection);
    // Connections that refuse writes are reported by the core without asking anything.
    if (targets.some((c) => !c.allowWrites)) return false;
    const where = targets.map((c) => `${c.name} (${c.host}:${c.port}/${c.database})`).join(', ');
    // A dialog that cannot be shown (a headless or locked-down workbench) counts as "no".
    const answer = await Promise.resolve(vscode.window.showWarningMessage(
      `This cell writes (-- @write) to ${where}.`,
      { modal: true, detail: 'The statements run in a READ WRITE transaction and are committed.' },
      'Run and Write',
    )).catch(() => undefined);
    return answer === 'Run and Write';
  }
}

function failed(name: string, message: string): CellRunResult {
  return { outputs: [errorOutput(name, message)], success: false };
}

