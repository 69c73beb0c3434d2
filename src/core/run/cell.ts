import type { CellOutput } from '../format/model';
import { expectationFindings } from '../probes/expect';
import { executeProbeCell } from '../probes/execute';
import { findingsOutput } from '../probes/render';
import type { Finding } from '../probes/types';
import { describeSqlError } from '../sql/errors';
import { CellInputError, executeSqlCell, SqlCellOptions } from '../sql/execute';
import { errorOutput, resultOutput } from '../sql/outputs';

export type CellStatus = 'ok' | 'error' | 'skipped' | 'cancelled';

export interface CodeCellRun {
  status: CellStatus;
  outputs: CellOutput[];
  findings: Finding[];
  error?: string;
}

export interface CellRunOptions extends SqlCellOptions {
  /** Kept between runs of the same notebook or process, for probes that compare with their last run. */
  memory?: Map<string, unknown>;
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
      return { status: options.signal?.aborted ? 'cancelled' : 'ok', outputs: [findingsOutput(findings)], findings };
    }
    if (language !== 'sql')
      throw new CellInputError(`cells of language '${language}' do not run; cnbook runs sql and cnprobe cells`);
    const run = await executeSqlCell(source, options);
    const findings = run.annotations.expect
      ? expectationFindings(run.annotations.expect, run.payload.results, label)
      : [];
    const outputs = [resultOutput(run.payload), ...(findings.length > 0 ? [findingsOutput(findings)] : [])];
    const failed = run.payload.results.find((r) => r.error);
    if (!failed?.error) return { status: 'ok', outputs, findings };
    return {
      status: failed.error.kind === 'cancelled' ? 'cancelled' : 'error',
      outputs,
      findings,
      error: `${failed.connection}: ${describeSqlError(failed.error)}`,
    };
  } catch (error) {
    const name = error instanceof CellInputError ? 'Cell error' : 'Internal error';
    return {
      status: 'error',
      outputs: [errorOutput(name, (error as Error).message)],
      findings: [],
      error: (error as Error).message,
    };
  }
}
