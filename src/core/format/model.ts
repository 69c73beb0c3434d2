/**
 * The in-memory notebook that a .cnbook file holds. It mirrors what VS Code's NotebookData can hold
 * (so the serializer is a thin mapping) without importing vscode.
 */

export type JsonObject = { [key: string]: unknown };

/** One representation of an output; exactly one of text / base64 is set. */
export interface OutputItem {
  mime: string;
  /** UTF-8 text payloads (JSON, markdown, plain text, errors). */
  text?: string;
  /** Binary payloads (images), base64-encoded. */
  base64?: string;
}

export interface CellOutput {
  items: OutputItem[];
  metadata?: JsonObject;
}

/** Mirrors vscode.NotebookCellExecutionSummary. Times are epoch milliseconds. */
export interface ExecutionSummary {
  executionOrder?: number;
  success?: boolean;
  startTime?: number;
  endTime?: number;
}

/**
 * How a cell was laid out in the file it came from, so that saving an unedited notebook
 * gives back the same bytes. Never part of a cell's meaning: equality ignores it.
 */
export interface CellLayout {
  /** Blank lines between the previous block (or the front matter) and this cell. */
  blankLinesBefore?: number;
  /** The fence as written (``` or ```` or ~~~), for code cells. */
  fence?: string;
  /** The info string exactly as written, for code cells. */
  info?: string;
  /** 1-based line of the file where the cell's source starts (set by the parser, for messages). */
  sourceLine?: number;
  /** The blank lines counted by blankLinesBefore as written, kept only when some hold spaces or tabs. */
  blankLineText?: string[];
  /** The closing fence line as written, for code cells (it may be longer or carry trailing spaces). */
  closingFence?: string;
  /** How an empty source was written: with no line (0) or one empty line (1) where the canonical form differs. */
  emptyBodyLines?: 0 | 1;
  /** The `<!-- cnbook:markdown ... -->` line that introduced a Markdown cell, as written. */
  marker?: string;
  /** Blank lines between a `<!-- cnbook:markdown -->` marker and the cell's text, as written. */
  blankLinesAfterMarker?: string[];
  /** The id cnbook gave a code cell read without one (assignCellIds): not in the file until saved with a change. */
  assignedId?: string;
  /** The outputs block as written (comments, view, closing marker), kept only where the printer would differ. */
  outputsText?: string[];
}

export interface MarkdownCell {
  kind: 'markdown';
  source: string;
  metadata?: JsonObject;
  layout?: CellLayout;
}

export interface CodeCell {
  kind: 'code';
  /** VS Code language id: 'sql', 'cnprobe', or any other. */
  language: string;
  source: string;
  metadata?: JsonObject;
  outputs?: CellOutput[];
  execution?: ExecutionSummary;
  layout?: CellLayout;
}

export type Cell = MarkdownCell | CodeCell;

export interface NotebookLayout {
  /** The YAML front matter text exactly as written (without the --- lines). */
  frontMatterText?: string;
  /** Blank lines after the last block. */
  blankLinesAtEnd?: number;
  /** Those blank lines as written, kept only when some hold spaces or tabs. */
  blankLinesAtEndText?: string[];
  /** Whether the file ended with a newline. */
  finalNewline?: boolean;
  /** '\r\n' for a file written with Windows line endings throughout. */
  eol?: '\n' | '\r\n';
  /** The exact text of a file that was empty or only white space (a new, unsaved runbook). */
  emptyText?: string;
  /** Whether the file started with a UTF-8 byte order mark. */
  bom?: boolean;
  /** The format version of the file that was read (its front matter's `cnbook`). */
  version?: number;
  /**
   * For a file read in an older version, or whose cells were given ids on open: a digest of its exact text.
   * Printing writes that version again only while printing it in that version still gives these bytes (the
   * notebook is unchanged since read).
   */
  digest?: string;
}

export interface Notebook {
  /** Parsed YAML front matter: `cnbook` (format version), title, incident fields, roles, and anything else. */
  frontMatter: JsonObject;
  cells: Cell[];
  layout?: NotebookLayout;
}

/** The format versions this code reads; it writes FORMAT_VERSION, or the version read while nothing changed. */
export type FormatVersion = 1 | 2;

/** The format version this code writes and the newest it reads. */
export const FORMAT_VERSION: FormatVersion = 2;

/** Languages whose fenced blocks are cells even without metadata. */
export const CELL_LANGUAGES: readonly string[] = ['sql', 'cnprobe'];

/** Output MIME types of cnbook (DESIGN.md). */
export const RESULT_MIME = 'application/vnd.cnbook.result+json';
export const FINDINGS_MIME = 'application/vnd.cnbook.findings+json';
export const ERROR_MIME = 'application/vnd.code.notebook.error';
