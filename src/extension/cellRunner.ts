import type { CellOutput, JsonObject } from '../core/format/model';

/** What the controller needs from execution: a small seam, so the controller stays a thin adapter. */
export interface CellRunner {
  run(request: CellRunRequest): Promise<CellRunResult>;
}

export interface CellRunRequest {
  source: string;
  language: string;
  frontMatter: JsonObject;
  notebookUri: string;
  signal: AbortSignal;
}

export interface CellRunResult {
  outputs: CellOutput[];
  success: boolean;
}
