import type { ResolvedConnection } from '../connections/model';
import type { SessionPool } from '../sql/sessionPool';

/** What one server says of itself, read in one query at the start of a run: what discovery decides from. */
export interface ServerFacts {
  inRecovery: boolean;
  /** pg_control_system().system_identifier: shared by every member of one physical cluster. */
  systemIdentifier: string;
  /**
   * The timeline the server is on: a primary's from its current WAL file name, a standby's from its WAL
   * receiver (received_tli), else from its last checkpoint or restartpoint.
   */
  timeline: number | null;
  /** The standby's WAL receiver: whom it streams from and its status (null: no receiver running). */
  upstreamHost: string | null;
  upstreamPort: number | null;
  receiverStatus: string | null;
  /** The server's own listening address and port (not a proxy's); null address over a Unix socket. */
  serverAddress: string | null;
  serverPort: number | null;
  /** pg_postmaster_start_time() as epoch seconds, in text: with the identifier and address, who the server is. */
  postmasterStartTime: string;
  /** Null on a primary. */
  replayPaused: boolean | null;
  /** default_transaction_read_only: what libpq's target_session_attrs=read-write checks besides recovery. */
  defaultReadOnly: boolean;
  walLsn: string | null;
}

/** One member asked: its facts, or why it could not say. */
export interface MemberFacts {
  connection: ResolvedConnection;
  facts?: ServerFacts;
  /** Why the facts could not be read (the connection failed, or the query did). */
  error?: string;
}

/*
 * CASE keeps the functions that fail on one kind of server (pg_walfile_name during recovery,
 * pg_is_wal_replay_paused outside it) from being called there. The start time as epoch seconds does not
 * depend on the session's DateStyle or TimeZone, so two sessions compare equal.
 */
export const SERVER_FACTS_SQL = `SELECT pg_is_in_recovery()::text AS in_recovery,
  s.system_identifier::text AS system_identifier,
  (CASE WHEN pg_is_in_recovery() THEN coalesce(r.received_tli, c.timeline_id)
    ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END)::text AS timeline,
  r.sender_host, r.sender_port::text AS sender_port, r.status AS receiver_status,
  host(inet_server_addr()) AS server_address, inet_server_port()::text AS server_port,
  extract(epoch FROM pg_postmaster_start_time())::text AS postmaster_start_time,
  (CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END)::text AS replay_paused,
  current_setting('default_transaction_read_only') AS default_read_only,
  (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS wal_lsn
FROM pg_control_system() s CROSS JOIN pg_control_checkpoint() c LEFT JOIN pg_stat_wal_receiver r ON true`;

/** The facts in one row of SERVER_FACTS_SQL (column name to PostgreSQL's text). */
export function serverFactsFromRow(row: Record<string, string | null>): ServerFacts {
  const bool = (v: string | null | undefined) => v === 'true' || v === 'on';
  const int = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? null : Number(v));
  return {
    inRecovery: bool(row.in_recovery),
    systemIdentifier: row.system_identifier ?? '',
    timeline: int(row.timeline),
    upstreamHost: row.sender_host ?? null,
    upstreamPort: int(row.sender_port),
    receiverStatus: row.receiver_status ?? null,
    serverAddress: row.server_address ?? null,
    serverPort: int(row.server_port),
    postmasterStartTime: row.postmaster_start_time ?? '',
    replayPaused: row.replay_paused === null || row.replay_paused === undefined ? null : bool(row.replay_paused),
    defaultReadOnly: bool(row.default_read_only),
    walLsn: row.wal_lsn ?? null,
  };
}

export interface FactsOptions {
  statementTimeoutMs: number;
  signal?: AbortSignal;
}

/** Asks every member at once; one that cannot be reached says why and does not hold the others up. */
export async function fetchServerFacts(
  pool: SessionPool,
  connections: readonly ResolvedConnection[],
  options: FactsOptions,
): Promise<MemberFacts[]> {
  return Promise.all(connections.map((connection) => factsOf(pool, connection, options)));
}

async function factsOf(pool: SessionPool, connection: ResolvedConnection, options: FactsOptions) {
  try {
    const session = await pool.get(connection, options.signal);
    const outcome = await session.runTransaction([{ text: SERVER_FACTS_SQL, values: [], offset: 0 }], {
      readOnly: true,
      statementTimeoutMs: options.statementTimeoutMs,
      lockTimeoutMs: options.statementTimeoutMs,
      maxRowsStored: 1,
      batchSize: 1,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const result = outcome.statements[0];
    const values = result?.rows[0];
    if (!result || !values) return { connection, error: 'the server returned no row for its facts' };
    const row = Object.fromEntries(result.columns.map((c, i) => [c.name, values[i] ?? null]));
    return { connection, facts: serverFactsFromRow(row) };
  } catch (error) {
    await pool.discard(connection);
    return { connection, error: (error as Error).message };
  }
}
