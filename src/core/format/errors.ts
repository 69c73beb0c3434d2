/**
 * A .cnbook file that cannot be read. Names the 1-based line and what was expected there, so that a
 * person fixing the file in a text editor knows where to look.
 */
export class CnbookFormatError extends Error {
  constructor(
    readonly line: number,
    readonly expected: string,
    message?: string,
  ) {
    super(`line ${line}: ${message ?? `expected ${expected}`}`);
    this.name = 'CnbookFormatError';
  }

  /** `line N: <what was found>; expected <what was expected>`. */
  static at(line: number, problem: string, expected: string): CnbookFormatError {
    return new CnbookFormatError(line, expected, `${problem}; expected ${expected}`);
  }
}
