import * as vscode from 'vscode';
import type {
  Cell,
  CellLayout,
  CellOutput,
  ExecutionSummary,
  JsonObject,
  Notebook,
  NotebookLayout,
  OutputItem,
} from '../core/format/model';
import { editorLanguage, recordLanguage } from './cellLanguage';

/** Where the file layout rides along in VS Code's metadata, so saving an unedited notebook keeps its bytes. */
const CELL_LAYOUT_KEY = 'cnbook.layout';
const NOTEBOOK_KEYS = { frontMatter: 'frontMatter', layout: 'cnbook.layout' } as const;

export function toNotebookData(notebook: Notebook): vscode.NotebookData {
  const data = new vscode.NotebookData(notebook.cells.map(toCellData));
  data.metadata = { [NOTEBOOK_KEYS.frontMatter]: notebook.frontMatter, [NOTEBOOK_KEYS.layout]: notebook.layout ?? {} };
  return data;
}

export function fromNotebookData(data: vscode.NotebookData): Notebook {
  const metadata = data.metadata ?? {};
  return {
    frontMatter: (metadata[NOTEBOOK_KEYS.frontMatter] as JsonObject | undefined) ?? { cnbook: 2 },
    cells: data.cells.map(fromCellData),
    layout: (metadata[NOTEBOOK_KEYS.layout] as NotebookLayout | undefined) ?? {},
  };
}

function toCellData(cell: Cell): vscode.NotebookCellData {
  const kind = cell.kind === 'code' ? vscode.NotebookCellKind.Code : vscode.NotebookCellKind.Markup;
  const data = new vscode.NotebookCellData(
    kind,
    cell.source,
    cell.kind === 'code' ? editorLanguage(cell.language) : 'markdown',
  );
  data.metadata = { ...(cell.metadata ?? {}), [CELL_LAYOUT_KEY]: cell.layout ?? {} };
  if (cell.kind === 'code') {
    data.outputs = (cell.outputs ?? []).map(toCellOutput);
    if (cell.execution) data.executionSummary = toSummary(cell.execution);
  }
  return data;
}

function fromCellData(data: vscode.NotebookCellData): Cell {
  const { [CELL_LAYOUT_KEY]: layout, ...rest } = data.metadata ?? {};
  const metadata = Object.keys(rest).length > 0 ? { metadata: rest } : {};
  const withLayout = { ...metadata, layout: (layout as CellLayout | undefined) ?? {} };
  if (data.kind === vscode.NotebookCellKind.Markup) return { kind: 'markdown', source: data.value, ...withLayout };
  const outputs = (data.outputs ?? []).map(fromCellOutput);
  const execution = fromSummary(data.executionSummary);
  return {
    kind: 'code',
    language: recordLanguage(data.languageId),
    source: data.value,
    ...withLayout,
    ...(outputs.length > 0 ? { outputs } : {}),
    ...(execution ? { execution } : {}),
  };
}

export function toCellOutput(output: CellOutput): vscode.NotebookCellOutput {
  const items = output.items.map(
    (item) =>
      new vscode.NotebookCellOutputItem(
        item.base64 !== undefined ? Buffer.from(item.base64, 'base64') : new TextEncoder().encode(item.text ?? ''),
        item.mime,
      ),
  );
  return new vscode.NotebookCellOutput(items, output.metadata);
}

export function fromCellOutput(output: vscode.NotebookCellOutput): CellOutput {
  const items: OutputItem[] = output.items.map((item) =>
    isBinary(item.mime)
      ? { mime: item.mime, base64: Buffer.from(item.data).toString('base64') }
      : { mime: item.mime, text: new TextDecoder().decode(item.data) },
  );
  return output.metadata && Object.keys(output.metadata).length > 0 ? { items, metadata: output.metadata } : { items };
}

function isBinary(mime: string): boolean {
  return mime.startsWith('image/') && mime !== 'image/svg+xml';
}

function toSummary(execution: ExecutionSummary): vscode.NotebookCellExecutionSummary {
  const timing =
    execution.startTime !== undefined && execution.endTime !== undefined
      ? { startTime: execution.startTime, endTime: execution.endTime }
      : undefined;
  return {
    ...(execution.executionOrder !== undefined ? { executionOrder: execution.executionOrder } : {}),
    ...(execution.success !== undefined ? { success: execution.success } : {}),
    ...(timing ? { timing } : {}),
  };
}

export function fromSummary(summary: vscode.NotebookCellExecutionSummary | undefined): ExecutionSummary | undefined {
  if (!summary) return undefined;
  const execution: ExecutionSummary = {};
  if (summary.executionOrder !== undefined) execution.executionOrder = summary.executionOrder;
  if (summary.success !== undefined) execution.success = summary.success;
  if (summary.timing)
    Object.assign(execution, { startTime: summary.timing.startTime, endTime: summary.timing.endTime });
  return Object.keys(execution).length > 0 ? execution : undefined;
}
