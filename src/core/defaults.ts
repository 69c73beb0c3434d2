/**
 * The limits a run starts from when nothing overrides them, in one place: the CLI's options, the extension's
 * settings (package.json's defaults are checked against these by a unit test) and the probes all read them.
 */
export const DEFAULT_LIMITS = {
  /** statement_timeout of every statement. */
  statementTimeoutMs: 30_000,
  /** lock_timeout of every statement; never longer than the statement timeout. */
  lockTimeoutMs: 5_000,
  /** How long to wait for a server to accept a connection. */
  connectTimeoutMs: 10_000,
  /** Rows of each result kept in the notebook (the count and a hash cover all of them). */
  maxRowsStored: 1000,
  /** Rows fetched from a cell's cursor at a time. */
  fetchBatchRows: 5000,
  /** Rows of each result shown in an exported report (the record keeps maxRowsStored). */
  reportRowsShown: 10,
} as const;

/** The settings' text for a duration default, as package.json writes it (`30s`). */
export function durationSetting(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
