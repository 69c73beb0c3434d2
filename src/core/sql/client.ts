import type { ResolvedConnection } from '../connections/model';
import type { CutCell } from './cutValue';

/**
 * The boundary between the core and a database driver (node-postgres, PGlite). The core decides what
 * to run and how safely; a driver only knows how to talk to its server.
 */
export interface SqlClient {
  open(connection: ResolvedConnection, options: OpenOptions): Promise<SqlSession>;
}

export interface OpenOptions {
  connectTimeoutMs: number;
  applicationName: string;
  signal?: AbortSignal;
}

export interface SqlSession {
  readonly connection: ResolvedConnection;
  /** Runs statements in one transaction (READ ONLY unless told otherwise) and streams rows into builders. */
  runTransaction(statements: BoundStatement[], options: TransactionOptions): Promise<TransactionOutcome>;
  /**
   * Opens a READ ONLY REPEATABLE READ transaction (one snapshot) that statements then run in one by one, each
   * bounded like a transaction's; other transactions on this session wait until it ends.
   */
  openSnapshot?(options: TransactionOptions): Promise<HeldSnapshot>;
  /** Asks the server to cancel what this session is running (a CancelRequest, not an abandoned promise). */
  cancel(): Promise<void>;
  close(): Promise<void>;
  /** False once the connection is broken or closed; such a session must not be reused. */
  readonly usable: boolean;
}

/** A read-only transaction held open: its statements share its snapshot. Any failure ends it (rolled back). */
export interface HeldSnapshot {
  readonly server: ServerState;
  /** False once it ended (by end() or a failure): open another. */
  readonly open: boolean;
  /** Runs one statement; `settings` (SET LOCAL) are sent in a round trip of their own only when they change. */
  run(statement: BoundStatement, settings: readonly (readonly [string, string])[]): Promise<StatementResult>;
  /** Checks it is still read-only and rolls it back. */
  end(): Promise<void>;
}

export interface BoundStatement {
  text: string;
  values: string[];
  /** Offset of the statement in the cell source, to turn error positions into cell lines. */
  offset: number;
}

export interface TransactionOptions {
  readOnly: boolean;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  maxRowsStored: number;
  /** Rows fetched per round trip from the cursor (at most: fewer when rows are wide, see fetchBatchBytes). */
  batchSize: number;
  /**
   * Rows the first read asks for (default a few, growing from there): callers whose results are narrow and
   * bounded in rows by construction (the table diff's) get them in one round trip instead of several.
   */
  firstBatchRows?: number;
  /** Stored values longer than this (UTF-8 bytes) are cut; none are when it is not given (probes need whole values). */
  maxValueBytes?: number;
  /**
   * Settings (name, value) set for the transaction only, in the round trip that begins it (a value is sent
   * as a quoted literal; a name must be a plain setting name).
   */
  settings?: readonly (readonly [string, string])[];
  signal?: AbortSignal;
}

export interface ColumnInfo {
  name: string;
  type: string;
  typeOid: number;
}

/** One statement's result: the first maxRowsStored rows as PostgreSQL's text, plus the true count and a hash. */
export interface StatementResult {
  command: string;
  columns: ColumnInfo[];
  rows: (string | null)[][];
  rowCount: number;
  truncated: boolean;
  /** sha256 over every row in full (not just the stored ones, nor their cut values), so runs can be compared. */
  hash: string;
  /** The stored values that are cut (only present when some are), with each one's full length and hash. */
  cutCells?: CutCell[];
}

export interface ServerState {
  serverVersion: string;
  inRecovery: boolean;
  /** pg_current_wal_lsn() on a primary, pg_last_wal_replay_lsn() on a standby. */
  walLsn: string | null;
  backendPid: number;
  serverAddress: string | null;
  /** transaction_read_only as the server reported it: at the start, then at the end of the transaction. */
  readOnly: boolean;
}

export interface TransactionOutcome {
  statements: StatementResult[];
  server: ServerState;
}
