import * as vscode from 'vscode';
import { parseAnnotations } from '../core/sql/annotations';
import { CellInputError } from '../core/sql/execute';
import { errorOutput } from '../core/sql/outputs';
import { runCodeCell } from '../core/run/cell';
import { withClusterFindings } from '../core/run/runbook';
import { probeCellWriteRoles, probeCellAsksBeforeWriting } from '../core/probes/execute';
import type { ResolvedConnection, RoleBinding } from '../core/connections/model';
import { resolveTargets } from '../core/sql/targets';
import { runbookInfo } from '../core/run/runbookInfo';
import { ParamsNotGiven, type RememberedParams } from './paramValues';
import { redactSecrets } from '../core/connections/redact';
import type { CellRunner, CellRunRequest, CellRunResult } from './cellRunner';
import type { ConnectionManager } from './connectionManager';
import { executionSettings } from './settings';

/** Runs SQL cells against the active profile; asks before any write, naming the connections and hosts. */
export class SqlCellRunner implements CellRunner {
  constructor(
    private readonly connections: ConnectionManager,
    private readonly params: RememberedParams,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async run(request: CellRunRequest): Promise<CellRunResult> {
    try {
      const info = runbookInfo({ frontMatter: request.frontMatter, cells: [] });
      const params = await this.params.settle({ info, ...request });
      const cluster = await this.connections.bindRun(request.notebookUri, [], request.signal);
      const bindings = cluster.bindings;
      const targets = writeTargets(request, bindings, info.defaultRole, params);
      const writesPermitted = asksItself(request, params)
        ? targets.every((c) => c.allowWrites)
        : await this.confirmWrites(targets);
      const settings = executionSettings();
      const run = await runCodeCell(
        request.language,
        request.source,
        {
          bindings,
          defaultRole: info.defaultRole,
          pool: this.connections.poolFor(request.notebookUri),
          params,
          writesPermitted,
          osUser: this.connections.osUser,
          signal: request.signal,
          memory: this.connections.memoryFor(request.notebookUri),
          confirmWrite: (question) => this.confirmProbeWrite(question),
          ...settings,
        },
        // Named as `cnbook run` names it, so the map and the record say the same in both.
        request.subject ?? (request.cellIndex === undefined ? 'this cell' : `cell ${request.cellIndex + 1}`),
      );
      if (run.error) this.log.warn(redactSecrets(run.error));
      const { status, connections, notExecuted } = run;
      const { outputs, findings } = withClusterFindings(run, cluster.findings);
      return {
        outputs,
        success: status === 'ok',
        status,
        findings,
        connections,
        ...(notExecuted ? { notExecuted } : {}),
      };
    } catch (error) {
      if (error instanceof ParamsNotGiven) return stopped(error.message);
      const message = redactSecrets((error as Error).message);
      if (error instanceof CellInputError) return failed('Cell error', message);
      // Nothing ran (no connection, the sandbox down): the cell keeps the evidence of its last run that did.
      return { ...failed('Cannot run', message), notExecuted: message };
    }
  }

  private async confirmWrites(targets: ResolvedConnection[]): Promise<boolean> {
    if (targets.length === 0) return false;
    // Connections that refuse writes are reported by the core without asking anything.
    if (targets.some((c) => !c.allowWrites)) return false;
    const where = targets.map((c) => `${c.name} (${c.host}:${c.port}/${c.database})`).join(', ');
    // A dialog that cannot be shown (a headless or locked-down workbench) counts as "no".
    const answer = await Promise.resolve(
      vscode.window.showWarningMessage(
        `This cell writes to ${where}.`,
        { modal: true, detail: 'The statements run in a READ WRITE transaction and are committed.' },
        'Run and Write',
      ),
    ).catch(() => undefined);
    return answer === 'Run and Write';
  }

  /** A probe's write described in full by the core (reconcile: the host and the row counts), asked once more. */
  private async confirmProbeWrite(question: string): Promise<boolean> {
    const answer = await Promise.resolve(
      vscode.window.showWarningMessage(
        question,
        { modal: true, detail: 'Each batch runs in its own READ WRITE transaction and is committed.' },
        'Write',
      ),
    ).catch(() => undefined);
    return answer === 'Write';
  }
}

/** A probe cell whose writes are each confirmed by the probe, with the facts, once it knows them. */
function asksItself(request: CellRunRequest, params: Record<string, string>): boolean {
  return request.language === 'cnprobe' && probeCellAsksBeforeWriting(request.source, params);
}

/** The connections a cell would write to: a `-- @write` SQL cell's targets, or those a probe declares it writes to. */
function writeTargets(
  request: CellRunRequest,
  bindings: Map<string, RoleBinding>,
  defaultRole: string,
  params: Record<string, string>,
): ResolvedConnection[] {
  if (request.language === 'cnprobe') {
    const roles = probeCellWriteRoles(request.source, params);
    return roles.length === 0 ? [] : resolveTargets(roles, bindings, defaultRole).map((t) => t.connection);
  }
  const { annotations } = parseAnnotations(request.source);
  return annotations.write ? resolveTargets(annotations.on, bindings, defaultRole).map((t) => t.connection) : [];
}

/** A run the user stopped (an input box closed): said as such, not as an error. */
function stopped(message: string): CellRunResult {
  return {
    outputs: [errorOutput('Stopped', message)],
    success: false,
    status: 'cancelled',
    findings: [],
    connections: [],
  };
}

function failed(name: string, message: string): CellRunResult {
  return { outputs: [errorOutput(name, message)], success: false, status: 'error', findings: [], connections: [] };
}
