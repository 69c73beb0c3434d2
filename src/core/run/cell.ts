import { redactValues, secretParamValues } from '../connections/redact';
import type { CellOutput } from '../format/model';
import { expectationFindings } from '../probes/expect';
import { checkProbeCell, executeProbeCell } from '../probes/execute';
import { resolveTargets, UnheldRoleError } from '../sql/targets';
import { findingsOutput } from '../probes/render';
import type { Finding } from '../probes/types';
import { describeSqlError } from '../sql/errors';
import { CellInputError, executeSqlCell, SqlCellOptions } from '../sql/execute';
import { errorOutput, resultOutput } from '../sql/outputs';
import type { ProbeJournal } from '../record/journal';
import { cutValuesOf, type CutValue, type TargetRun } from '../sql/payload';

export type CellStatus = 'ok' | 'error' | 'skipped' | 'cancelled';

export interface CodeCellRun {
  status: CellStatus;
  outputs: CellOutput[];
  findings: Finding[];
  /** The connections the cell ran on (or was to run on), by name. */
  connections: string[];
  error?: string;
  /** The values its result keeps cut (src/core/sql/cutValue.ts), when there are any. */
  cutValues?: CutValue[];
  /** It failed only because servers were unreachable or stopped answering: later cells may still run. */
  serverUnavailable?: boolean;
  /**
   * It failed only where the role it needs is not (a declared primary that is a standby now, a role no server
   * holds): a fact about the cluster, not the runbook, so later cells may still run.
   */
  wrongRole?: boolean;
  /**
   * Why nothing executed at all (every server unreachable): set, the cell keeps the evidence of its last run
   * that executed (outputsAfterRun) rather than being wiped by this one.
   */
  notExecuted?: string;
}

const unavailable = (error: NonNullable<TargetRun['error']>) =>
  error.kind === 'connection' || error.notResponding === true;

function onlyUnavailable(results: TargetRun[]): boolean {
  return results.every((r) => !r.error || unavailable(r.error));
}

/** Every failure is on a server that does not have the role it was reached through (or is down). */
function onlyWrongRole(results: TargetRun[], options: CellRunOptions): boolean {
  const misbound = new Set([...options.bindings.values()].flatMap((b) => b.misbound ?? []));
  const failed = results.filter((r) => r.error);
  const explained = (r: TargetRun) => (r.error ? unavailable(r.error) : false) || misbound.has(r.connection);
  return failed.some((r) => misbound.has(r.connection)) && failed.every(explained);
}

export interface CellRunOptions extends SqlCellOptions {
  /** Kept between runs of the same notebook or process, for probes that compare with their last run. */
  memory?: Map<string, unknown>;
  /** Asks before a probe's write whose size is known only once it ran (reconcile apply=yes); absent: allowed by writesPermitted. */
  confirmWrite?: (question: string) => Promise<boolean>;
  /** Where a writing probe (reconcile apply=yes) records each committed batch, when the run keeps a journal. */
  journal?: ProbeJournal;
}

/** Runs one `sql` or `cnprobe` cell: what the CLI and the VS Code controller both do with a cell. */
export async function runCodeCell(
  language: string,
  source: string,
  options: CellRunOptions,
  label: string,
): Promise<CodeCellRun> {
  try {
    if (language === 'cnprobe') {
      const findings = await executeProbeCell(source, { ...options, memory: options.memory ?? new Map() });
      const status = options.signal?.aborted ? 'cancelled' : 'ok';
      const connections = probeConnections(source, options);
      const run: CodeCellRun = { status, outputs: [findingsOutput(findings)], findings, connections };
      const unreachable = findings.length > 0 && findings.every((f) => f.unreachable === true);
      // Nothing measured anywhere: the run failed on its servers (as a SQL cell's does), and later cells go on.
      if (!unreachable || status === 'cancelled') return run;
      return { ...run, status: 'error', serverUnavailable: true, notExecuted: findings[0]!.summary };
    }
    if (language !== 'sql')
      throw new CellInputError(`cells of language '${language}' do not run; cnbook runs sql and cnprobe cells`);
    const run = await executeSqlCell(source, options);
    const findings = run.annotations.expect
      ? expectationFindings(run.annotations.expect, run.payload.results, run.annotations.check ?? label)
      : [];
    const outputs = [resultOutput(run.payload), ...(findings.length > 0 ? [findingsOutput(findings)] : [])];
    const connections = run.payload.results.map((r) => r.connection);
    const cutValues = cutValuesOf(run.payload.results);
    const cut = cutValues.length > 0 ? { cutValues } : {};
    const failed = run.payload.results.find((r) => r.error);
    if (!failed?.error) return { status: 'ok', outputs, findings, connections, ...cut };
    return {
      status: failed.error.kind === 'cancelled' ? 'cancelled' : 'error',
      outputs,
      findings,
      connections,
      ...cut,
      error: `${failed.connection}: ${describeSqlError(failed.error)}`,
      ...(onlyUnavailable(run.payload.results) ? { serverUnavailable: true } : {}),
      ...(onlyWrongRole(run.payload.results, options) ? { wrongRole: true } : {}),
      ...(run.payload.results.every((r) => r.error && unavailable(r.error))
        ? { notExecuted: failed.error.message }
        : {}),
    };
  } catch (error) {
    if (error instanceof UnheldRoleError) {
      const message = `not run: ${error.message}`;
      return {
        status: 'error',
        outputs: [errorOutput('Role not held', message)],
        findings: [],
        connections: [],
        error: message,
        wrongRole: true,
      };
    }
    const name = error instanceof CellInputError ? 'Cell error' : 'Internal error';
    const message = redactValues((error as Error).message, secretParamValues(options.params));
    return { status: 'error', outputs: [errorOutput(name, message)], findings: [], connections: [], error: message };
  }
}

/** The connections a probe cell's directives name through their role arguments, each once. */
function probeConnections(source: string, options: CellRunOptions): string[] {
  const names = new Set<string>();
  for (const directive of checkProbeCell(source, undefined, options.params).directives) {
    for (const [key, spec] of Object.entries(directive.probe.params)) {
      const roles = directive.args[key];
      if (spec.type !== 'roles' || !Array.isArray(roles)) continue;
      for (const target of resolveTargets(roles, options.bindings, options.defaultRole))
        names.add(target.connection.name);
    }
  }
  return [...names];
}
