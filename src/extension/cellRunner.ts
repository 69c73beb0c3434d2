import type { CellOutput, JsonObject } from '../core/format/model';
import type { Finding } from '../core/probes/types';
import type { CellStatus } from '../core/run/cell';

/** What the controller needs from execution: a small seam, so the controller stays a thin adapter. */
export interface CellRunner {
  run(request: CellRunRequest): Promise<CellRunResult>;
}

export interface CellRunRequest {
  source: string;
  language: string;
  frontMatter: JsonObject;
  notebookUri: string;
  /** 0-based position of the cell in the notebook (for messages). */
  cellIndex?: number;
  /** What the cell's `-- @expect` check is about (its step's heading), for its findings. */
  subject?: string;
  signal: AbortSignal;
}

export interface CellRunResult {
  outputs: CellOutput[];
  success: boolean;
  /** The findings of a probe cell or an `-- @expect` check, as the run made them. */
  findings: Finding[];
  status: CellStatus;
  /** The connections the cell ran on, by name. */
  connections: string[];
  /** Why nothing executed (no server reachable, the sandbox down): the cell then keeps its earlier evidence. */
  notExecuted?: string;
  /** The findings of the earlier evidence the cell kept (what the diagnosis goes on reading), when it kept some. */
  keptFindings?: Finding[];
}
