import * as vscode from 'vscode';
import { CnbookFormatError, InvalidUtf8Error, parseNotebookBytes, printNotebook, withCellIds } from '../core/format';
import { fromNotebookData, toNotebookData } from './notebookData';

/**
 * Reads and writes .cnbook files. A file that cannot be read (not UTF-8, or malformed) is refused with its
 * line number rather than opened half-empty or with bytes replaced, so that saving can never write back less
 * than the file held. A BOM is kept: saving writes it back.
 */
export class CnbookSerializer implements vscode.NotebookSerializer {
  static readonly options: vscode.NotebookDocumentContentOptions = { transientOutputs: false };

  deserializeNotebook(content: Uint8Array): vscode.NotebookData {
    try {
      // Every code cell gets a stable id on open; the file keeps its bytes until it is saved with a change.
      return toNotebookData(withCellIds(parseNotebookBytes(content)));
    } catch (error) {
      if (error instanceof CnbookFormatError)
        throw new Error(`This .cnbook file cannot be opened: ${error.message}. ${remedy(error)}`);
      throw error;
    }
  }

  serializeNotebook(data: vscode.NotebookData): Uint8Array {
    return new TextEncoder().encode(printNotebook(fromNotebookData(data)));
  }
}

/** What to do about it in VS Code: a file in another encoding is converted, a malformed one edited as text. */
function remedy(error: CnbookFormatError): string {
  return error instanceof InvalidUtf8Error
    ? 'If it is text in another encoding, open it as text (Reopen Editor With... > Text Editor), ' +
        'choose Reopen with Encoding, then Save with Encoding > UTF-8.'
    : 'Fix it in a text editor (Reopen Editor With... > Text Editor).';
}
