import { diagnosisHeadline, type Diagnosis, type HostInfo } from '../core/diagnosis';
import { FindingsInOrder } from '../core/diagnosis/findingsInOrder';
import { diagnoseNotebook, diagnosedCells, type DiagnosedCell } from '../core/diagnosis/notebook';
import { cellIdOf } from '../core/format/cellIds';
import type { Notebook } from '../core/format/model';
import type { Finding } from '../core/probes/types';
import { updateDiagnosisRecord } from '../core/record/diagnosisCell';
import { applyRecordCellChange } from '../core/record/recordCells';
import { RunTimeline } from '../core/record/runTimeline';
import type { CellReport } from '../core/run/runbook';

/**
 * The record a `cnbook run` keeps in the notebook: a timeline entry after every cell that ran (and one for
 * each change of diagnosis), and the diagnosis at the end, by the same core rules as VS Code. The cost stays
 * linear in the cells: the timeline is written into the notebook once, by `finish`, and the cells' findings
 * are read from their outputs once.
 */
export class RunRecord {
  /** Every cell as the diagnosis sees it: a skipped cell keeps the findings of its outputs (an earlier run). */
  private readonly cells: DiagnosedCell[];
  private readonly findings: FindingsInOrder;
  private readonly timeline: RunTimeline;

  constructor(
    private readonly notebook: Notebook,
    private readonly hosts: HostInfo[],
    private readonly who: string,
    private readonly contacts: Record<string, string> | undefined,
  ) {
    this.cells = diagnosedCells(notebook);
    this.findings = new FindingsInOrder(this.cells);
    this.timeline = new RunTimeline(notebook.cells);
  }

  cellEnded(report: CellReport): void {
    const cell = this.notebook.cells[report.index];
    const diagnosed = this.cells[report.index];
    if (report.status === 'skipped' || cell?.kind !== 'code' || !diagnosed) return;
    // A run that could not execute left the cell's earlier evidence, and the diagnosis goes on reading it.
    const findings = report.evidenceKept ? diagnosed.findings : (report.findings ?? []);
    this.cells[report.index] = { ...diagnosed, ran: true, findings };
    this.findings.set(report.index, findings);
    const cellId = cellIdOf(cell);
    const own = report.findings ?? [];
    const run = { ...report, ...(cellId ? { cellId } : {}), source: cell.source, findings: own, who: this.who };
    this.timeline.cellRan(run, () => diagnosisHeadline(this.findings.list()));
  }

  /** The diagnosis of the notebook as the run left it, written into the record when its conclusion changed. */
  finish(now: string): { diagnosis: Diagnosis; findings: Finding[] } {
    applyRecordCellChange(this.notebook, this.timeline.change(this.notebook.cells));
    const diagnosis = diagnoseNotebook({
      frontMatter: this.notebook.frontMatter,
      cells: this.cells,
      hosts: this.hosts,
      now,
      ...(this.contacts ? { contacts: this.contacts } : {}),
    });
    const findings = [...this.findings.list()];
    updateDiagnosisRecord(this.notebook, diagnosis, this.hosts, findings.length > 0);
    return { diagnosis, findings };
  }
}
