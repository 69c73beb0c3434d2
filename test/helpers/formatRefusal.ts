import { CnbookFormatError, parseNotebook } from '../../src/core/format';

/** The format error a file's text is refused with; a file that parses fails the test. */
export function formatRefusal(text: string): CnbookFormatError {
  try {
    parseNotebook(text);
  } catch (error) {
    if (error instanceof CnbookFormatError) return error;
    throw error;
  }
  throw new Error('parsed');
}
