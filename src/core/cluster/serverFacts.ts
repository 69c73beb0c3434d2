import type { ResolvedConnection } from '../connections/model';
import type { SqlSession } from '../sql/client';
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
  /**
   * default_transaction_read_only as the session sees it. cnbook's own sessions start read-only, so on them
   * it is always true and says nothing of the server; kept for sessions opened otherwise.
   */
  defaultReadOnly: boolean;
  walLsn: string | null;
  /**
   * The server's timeline history (its `.history` file, read with pg_read_file: superuser or
   * pg_read_server_files), when its timeline is past 1; absent when not readable, with why.
   */
  timelineHistory?: TimelineFork[];
  timelineHistoryUnreadable?: string;
}

/** One line of a timeline history file: the timeline left, and the WAL position where the next one began. */
export interface TimelineFork {
  parent: number;
  forkLsn: string;
}

/** The lines of a `.history` file (`1\t0/3000060\tno recovery target specified`), oldest first. */
export function parseTimelineHistory(text: string): TimelineFork[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([parent, lsn]) => parent && /^\d+$/.test(parent) && lsn && /^[0-9A-F]+\/[0-9A-F]+$/i.test(lsn))
    .map(([parent, lsn]) => ({ parent: Number(parent), forkLsn: lsn ?? '' }));
}

/** The history file of a timeline, as pg_wal names it: 8 upper-case hex digits. */
export function historyFileSql(timeline: number): string {
  const name = timeline.toString(16).toUpperCase().padStart(8, '0');
  return `SELECT pg_read_file('pg_wal/${name}.history') AS history`;
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

/** The timeline history where the role may read it; a refusal is kept as the reason, not an error. */
async function historyOf(session: SqlSession, timeline: number, options: FactsOptions) {
  try {
    const outcome = await session.runTransaction([{ text: historyFileSql(timeline), values: [], offset: 0 }], {
      readOnly: true,
      statementTimeoutMs: options.statementTimeoutMs,
      lockTimeoutMs: options.statementTimeoutMs,
      maxRowsStored: 1,
      batchSize: 1,
    });
    return { timelineHistory: parseTimelineHistory(outcome.statements[0]?.rows[0]?.[0] ?? '') };
  } catch (error) {
    return { timelineHistoryUnreadable: (error as Error).message };
  }
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
    const facts = serverFactsFromRow(row);
    if (facts.timeline !== null && facts.timeline > 1)
      Object.assign(facts, await historyOf(session, facts.timeline, options));
    return { connection, facts };
  } catch (error) {
    await pool.discard(connection);
    return { connection, error: (error as Error).message };
  }
}
