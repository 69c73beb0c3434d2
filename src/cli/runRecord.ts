import type { Diagnosis, HostInfo } from '../core/diagnosis';
import { diagnoseNotebook, diagnosedCells, notebookFindings } from '../core/diagnosis/notebook';
import type { Notebook } from '../core/format/model';
import type { Finding } from '../core/probes/types';
import { updateDiagnosisRecord } from '../core/record/diagnosisCell';
import { applyRecordCellChange } from '../core/record/recordCells';
import { RunTimeline } from '../core/record/runTimeline';
import type { CellReport } from '../core/run/runbook';

/**
 * The record a `cnbook run` keeps in the notebook: a timeline entry after every cell that ran (and one for
 * each change of diagnosis), and the diagnosis at the end, by the same core rules as VS Code. The timeline
 * is written into the notebook by `finish`, once, so that a run's cost stays linear in its cells.
 */
export class RunRecord {
  /** Findings of the cells that ran now; a skipped cell's outputs (from an earlier run) still count. */
  private readonly known = new Map<number, readonly Finding[]>();
  private readonly timeline: RunTimeline;

  constructor(
    private readonly notebook: Notebook,
    private readonly hosts: HostInfo[],
    private readonly who: string,
    private readonly contacts: Record<string, string> | undefined,
  ) {
    this.timeline = new RunTimeline(notebook.cells);
  }

  cellEnded(report: CellReport): void {
    const cell = this.notebook.cells[report.index];
    if (report.status === 'skipped' || cell?.kind !== 'code') return;
    const findings = report.findings ?? [];
    this.known.set(report.index, findings);
    const run = { ...report, source: cell.source, findings, who: this.who };
    this.timeline.cellRan(run, () => this.diagnose(report.at));
  }

  /** The diagnosis of the notebook as the run left it, written into the record when its conclusion changed. */
  finish(now: string): { diagnosis: Diagnosis; findings: Finding[] } {
    applyRecordCellChange(this.notebook, this.timeline.change(this.notebook.cells));
    const diagnosis = this.diagnose(now);
    const findings = notebookFindings(diagnosedCells(this.notebook, this.known));
    updateDiagnosisRecord(this.notebook, diagnosis, this.hosts, findings.length > 0);
    return { diagnosis, findings };
  }

  private diagnose(now: string): Diagnosis {
    return diagnoseNotebook({
      frontMatter: this.notebook.frontMatter,
      cells: diagnosedCells(this.notebook, this.known),
      hosts: this.hosts,
      now,
      ...(this.contacts ? { contacts: this.contacts } : {}),
    });
  }
}
