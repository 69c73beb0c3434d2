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
  /** How long a server has to answer a cancel before its connection is dropped (a hung server never does). */
  cancelGraceMs: 3_000,
  /** Rows of each result kept in the notebook (the count and a hash cover all of them). */
  maxRowsStored: 1000,
  /** Rows fetched from a cell's cursor at a time, at most (fewer when rows are wide: fetchBatchBytes). */
  fetchBatchRows: 5000,
  /** Characters of rows a cursor read aims to hold at once (src/core/sql/fetchBatch.ts). */
  fetchBatchBytes: 4 * 1024 * 1024,
  /** Stored values longer than this many UTF-8 bytes are cut, keeping their full length and sha256. */
  maxValueBytes: 64 * 1024,
  /** Rows of each result shown in an exported report (the record keeps maxRowsStored). */
  reportRowsShown: 10,
  /** Upper bound of each table-diff query, well under a hot standby's max_standby_streaming_delay default (30 s). */
  diffQueryTimeoutMs: 5_000,
  /**
   * How long a diff holds one side's snapshot (REPEATABLE READ) before taking a new one at its next query: a held
   * snapshot holds back vacuum on a primary and can hold back replay on a standby. With a query's timeout it
   * stays under max_standby_streaming_delay's default (30 s).
   */
  diffSnapshotMaxMs: 10_000,
  /** Differing keys a diff keeps (for the recheck, the evidence and a repair); the counts stay exact beyond it. */
  diffMaxKeys: 100_000,
  /** Rows of a diff's first chunk; later chunks grow or shrink to take about diffChunkTargetMs each. */
  diffInitialChunkRows: 100_000,
  diffMinChunkRows: 5_000,
  diffMaxChunkRows: 2_000_000,
  diffChunkTargetMs: 1_500,
  /** How long a diff waits for a replica target to replay the source's position before its recheck. */
  diffSettleMs: 5_000,
  /** Rows a repair changes per transaction. */
  repairBatchRows: 500,
} as const;

/** The settings' text for a duration default, as package.json writes it (`30s`). */
export function durationSetting(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
