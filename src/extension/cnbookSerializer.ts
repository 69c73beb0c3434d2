import * as vscode from 'vscode';
import { CnbookFormatError, parseNotebook, printNotebook } from '../core/format';
import { fromNotebookData, toNotebookData } from './notebookData';

/**
 * Reads and writes .cnbook files. A file that cannot be read is refused with its line number rather than
 * opened half-empty, so that saving can never write back less than the file held.
 */
export class CnbookSerializer implements vscode.NotebookSerializer {
  static readonly options: vscode.NotebookDocumentContentOptions = { transientOutputs: false };

  deserializeNotebook(content: Uint8Array): vscode.NotebookData {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(content);
    try {
      return toNotebookData(parseNotebook(text));
    } catch (error) {
      if (error instanceof CnbookFormatError)
        throw new Error(
          `This .cnbook file cannot be opened: ${error.message}. Fix it in a text editor (Reopen Editor With... > Text Editor).`,
        );
      throw error;
    }
  }

  serializeNotebook(data: vscode.NotebookData): Uint8Array {
    return new TextEncoder().encode(printNotebook(fromNotebookData(data)));
  }
}
