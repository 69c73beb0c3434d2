import * as vscode from 'vscode';
import { cellLanguage } from './cellLanguage';
import type { DiagnosedCell } from '../core/diagnosis/notebook';
import { cellIdOf } from '../core/format/cellIds';
import { FINDINGS_MIME } from '../core/format/model';
import { readFindingsOutput } from '../core/probes/render';
import type { Finding } from '../core/probes/types';

/**
 * The findings each cell holds, kept as they arrive: a run hands its findings over with the bytes it wrote,
 * and an output that came from a file (or an undo) is decoded once, the first time it is seen.
 */
export class CellFindings {
  private readonly fromRuns = new WeakMap<vscode.NotebookCell, { data: Uint8Array; findings: Finding[] }>();
  private readonly decoded = new WeakMap<vscode.NotebookCellOutput, Finding[]>();

  /** The findings a run of `cell` produced, and the output item bytes that carry them. */
  recordRun(cell: vscode.NotebookCell, data: Uint8Array, findings: Finding[]): void {
    this.fromRuns.set(cell, { data, findings });
  }

  cells(notebook: vscode.NotebookDocument): DiagnosedCell[] {
    return notebook.getCells().map((cell) => ({
      index: cell.index,
      ...idOf(cell),
      language: cellLanguage(cell),
      source: cell.document.getText(),
      ran: cell.executionSummary?.success !== undefined || cell.outputs.length > 0,
      findings: cell.outputs.flatMap((output) => this.findingsOf(cell, output)),
    }));
  }

  private findingsOf(cell: vscode.NotebookCell, output: vscode.NotebookCellOutput): Finding[] {
    const cached = this.decoded.get(output);
    if (cached) return cached;
    const item = output.items.find((i) => i.mime === FINDINGS_MIME);
    const run = this.fromRuns.get(cell);
    const findings = !item
      ? []
      : run && sameBytes(run.data, item.data)
        ? run.findings
        : readFindingsOutput(new TextDecoder().decode(item.data));
    this.decoded.set(output, findings);
    return findings;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}

function idOf(cell: vscode.NotebookCell): { id?: string } {
  const id = cellIdOf(cell);
  return id ? { id } : {};
}
