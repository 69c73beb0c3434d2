/** A .cnbook file that cannot be read: names the 1-based line and what was expected there. */
export class CnbookFormatError extends Error {
  constructor(readonly line: number, readonly expected: string) {
    super(`line ${line}: ${expected}`);
    this.name = 'CnbookFormatError';
  }
}
