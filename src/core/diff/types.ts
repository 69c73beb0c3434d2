/** What the engine needs from one side of a comparison: read-only queries, each bounded in time. */
export interface DiffSide {
  /** The connection's name, for messages. */
  readonly name: string;
  /**
   * Runs `sql` in a READ ONLY transaction with a statement timeout of `timeoutMs` and `settings` set for
   * that transaction only, and returns every row as PostgreSQL's text.
   */
  query(sql: string, values: (string | null)[], options: QueryOptions): Promise<(string | null)[][]>;
  /**
   * Runs `work` with this side's queries in one read-only snapshot (a new one after diffSnapshotMaxMs) where
   * the server allows it: fewer round trips a query. Without it each query is a transaction of its own.
   */
  inSnapshot?<T>(work: () => Promise<T>): Promise<T>;
}

export interface QueryOptions {
  timeoutMs: number;
  /** (name, value) set locally in the transaction, e.g. TimeZone, so that both servers write values alike. */
  settings?: readonly (readonly [string, string])[];
}

export interface DiffOptions {
  table: string;
  /** Key columns; default: the source table's primary key. */
  key?: readonly string[];
  /** Compare only these columns (the key is always compared). */
  columns?: readonly string[];
  exclude?: readonly string[];
  /** A SQL condition applied on both sides (the user's own SQL, run read-only). */
  where?: string;
  /** Upper bound of each query, so that a hot standby does not cancel it; default 5 s. */
  queryTimeoutMs?: number;
  /** Differing keys kept for the result, the recheck and a repair (counts stay exact beyond it); default 100,000. */
  maxKeys?: number;
  /** Rows per chunk to start with; the engine adapts it to take about `chunkTargetMs`. */
  initialChunkRows?: number;
  chunkTargetMs?: number;
  /** Force a method, for tests and the benchmark: default 'auto' (IBLT, falling back to a hash merge). */
  method?: 'auto' | 'merge';
  /** How long to wait for a replica target to replay the source's position before the recheck; default 5 s. */
  settleMs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: DiffProgress) => void;
  now?: () => number;
}

export interface DiffProgress {
  chunks: number;
  sourceRows: number;
  /** Estimated rows of the source (pg_class.reltuples), or null when unknown. */
  estimatedRows: number | null;
  differences: number;
}

/** A key as the text of each key column, in key order. */
export type KeyValues = string[];

export type DiffMethod = 'iblt' | 'merge' | 'iblt+merge';

export interface DiffCounts {
  sourceRows: number;
  targetRows: number;
  missingInTarget: number;
  missingInSource: number;
  changed: number;
}

export interface DiffResult extends DiffCounts {
  table: string;
  keyColumns: string[];
  columns: string[];
  /** Differing keys by class (up to maxKeys in all), in the source's key order. */
  keys: { missingInTarget: KeyValues[]; missingInSource: KeyValues[]; changed: KeyValues[]; inFlight: KeyValues[] };
  /** Differences of the scan that agreed when read again: rows in flight, not drift. */
  inFlight: number;
  /** How the target stood at the recheck: a replica that replayed the source's position, one still behind, or another system. */
  replay: 'caught-up' | 'behind' | 'independent' | 'not-needed';
  /** True when more keys differed than were kept. */
  keysTruncated: boolean;
  /** Differing keys kept (for the recheck, the evidence and a repair), at most maxKeys. */
  keysKept: number;
  /** Differing keys the scan found, kept or not. */
  keysFound: number;
  /**
   * False only when keys were not kept and the servers may order the key differently (a collation other
   * than byte order): a changed row whose sides fell in different chunks may then count as one missing on
   * each side.
   */
  countsExact: boolean;
  bytesReceived: number;
  queries: number;
  durationMs: number;
  method: DiffMethod;
  chunks: number;
  hash: 'hashtextextended' | 'md5';
}
