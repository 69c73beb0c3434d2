import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import Cursor from 'pg-cursor';
import type { ResolvedConnection } from '../core/connections/model';
import type {
  BoundStatement,
  ColumnInfo,
  ServerState,
  SqlSession,
  StatementResult,
  TransactionOptions,
  TransactionOutcome,
} from '../core/sql/client';
import { SqlError } from '../core/sql/errors';
import { typeName } from '../core/sql/pgTypes';
import { DEFAULT_LIMITS } from '../core/defaults';
import { FetchBatchSizer } from '../core/sql/fetchBatch';
import { ResultBuilder } from '../core/sql/resultBuilder';
import { sendCancelRequest } from './cancelRequest';
import { statementError } from './pgErrors';

// Every value as the server's text: no precision lost on int8/numeric, no time zone shifted on timestamps.
const TEXT_TYPES = { getTypeParser: () => (value: string) => value };

const SERVER_STATE_SQL = `SELECT current_setting('server_version') AS version, pg_is_in_recovery() AS in_recovery,
  (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS lsn,
  pg_backend_pid() AS pid, inet_server_addr()::text AS addr`;

interface FieldLike {
  name: string;
  dataTypeID: number;
}
interface CursorResult {
  fields: FieldLike[];
  command: string | null;
  rowCount: number | null;
}

export class PgSession implements SqlSession {
  private broken = false;
  private closed = false;
  private cancelRequested = false;

  constructor(
    private readonly client: Client,
    readonly connection: ResolvedConnection,
  ) {
    client.on('error', () => {
      this.broken = true;
    });
    client.on('end', () => {
      this.broken = true;
    });
  }

  get usable(): boolean {
    return !this.broken && !this.closed;
  }

  private queue: Promise<unknown> = Promise.resolve();

  /** Transactions on one session run one after another, even when callers (probes) overlap. */
  runTransaction(statements: BoundStatement[], options: TransactionOptions): Promise<TransactionOutcome> {
    const next = this.queue.then(() => this.runNow(statements, options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(statements: BoundStatement[], options: TransactionOptions): Promise<TransactionOutcome> {
    this.cancelRequested = false;
    const onAbort = () => void this.cancel().catch(() => undefined);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOutMs: number | undefined;
    // statement_timeout restarts with every cursor fetch, so a long fetch loop also gets a wall-clock limit.
    const watchdog = setTimeout(
      () => {
        timedOutMs = options.statementTimeoutMs;
        void this.cancel().catch(() => undefined);
      },
      options.statementTimeoutMs * Math.max(1, statements.length) + 1000,
    );
    try {
      if (options.signal?.aborted)
        throw new SqlError({ kind: 'cancelled', message: `cancelled before it ran on ${this.connection.name}` });
      await this.begin(options);
      const server = await this.serverState();
      const results: StatementResult[] = [];
      for (const statement of statements) results.push(await this.runStatement(statement, options, results.length));
      await this.client.query(options.readOnly ? 'ROLLBACK' : 'COMMIT');
      return { statements: results, server };
    } catch (error) {
      await this.rollbackQuietly();
      if (error instanceof SqlError) throw error;
      throw statementError(error, this.connection, {
        cancelled: this.cancelRequested || !!options.signal?.aborted,
        timedOutMs,
      });
    } finally {
      clearTimeout(watchdog);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async begin(options: TransactionOptions): Promise<void> {
    const ms = (n: number) => `'${Math.max(0, Math.round(n))}ms'`;
    // The idle timeout frees the server if this process dies between statements. Dates and times are
    // written the same way on every server (UTC, ISO), so values from two servers compare as text.
    await this.client.query(
      `BEGIN ${options.readOnly ? 'READ ONLY' : 'READ WRITE'}; SET LOCAL statement_timeout = ${ms(options.statementTimeoutMs)};` +
        ` SET LOCAL lock_timeout = ${ms(options.lockTimeoutMs)};` +
        ` SET LOCAL idle_in_transaction_session_timeout = ${ms(options.statementTimeoutMs + 60_000)};` +
        ` SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'`,
    );
  }

  private async serverState(): Promise<ServerState> {
    const result = await this.client.query({ text: SERVER_STATE_SQL, types: TEXT_TYPES });
    const row = result.rows[0] as Record<string, string | null>;
    return {
      serverVersion: row.version ?? 'unknown',
      inRecovery: row.in_recovery === 't',
      walLsn: row.lsn ?? null,
      backendPid: Number(row.pid),
      serverAddress: row.addr ?? null,
    };
  }

  private async runStatement(
    statement: BoundStatement,
    options: TransactionOptions,
    index: number,
  ): Promise<StatementResult> {
    const cursor = this.client.query(
      new Cursor(statement.text, statement.values, { rowMode: 'array', types: TEXT_TYPES }),
    );
    try {
      let builder: ResultBuilder | undefined;
      let result: CursorResult | undefined;
      const sizer = new FetchBatchSizer(options.batchSize, DEFAULT_LIMITS.fetchBatchBytes);
      for (;;) {
        const [rows, res] = await readBatch(cursor, sizer.next());
        // A finished cursor answers with no result object; keep the last one, which has the command tag.
        if (res) result = res;
        builder ??= newBuilder(columnsOf(result?.fields), options);
        if (rows.length === 0) break;
        builder.add(rows);
        sizer.observe(rows);
      }
      return (builder ?? newBuilder([], options)).finish(result?.command ?? '', result?.rowCount);
    } catch (error) {
      const mapped = statementError(error, this.connection, { cancelled: this.cancelRequested });
      mapped.fields.statementIndex = index;
      throw mapped;
    } finally {
      // Closing a portal waits for the server's ReadyForQuery, which a dead connection never sends.
      await settleWithin(cursor.close(), 1000);
    }
  }

  private async rollbackQuietly(): Promise<void> {
    if (!this.usable) return;
    const done = await settleWithin(this.client.query('ROLLBACK'), 2000);
    if (!done) this.broken = true;
  }

  async cancel(): Promise<void> {
    const { processID, secretKey } = this.client as unknown as { processID: number | null; secretKey: number | null };
    if (processID === null || secretKey === null || !this.usable) return;
    this.cancelRequested = true;
    await sendCancelRequest(this.connection.host, this.connection.port, processID, secretKey);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.end().catch(() => undefined);
  }
}

function readBatch(cursor: Cursor, size: number): Promise<[(string | null)[][], CursorResult | undefined]> {
  return new Promise((resolve, reject) => {
    cursor.read(size, (error, rows, result) => {
      if (error) reject(error);
      else resolve([rows as unknown as (string | null)[][], result as unknown as CursorResult | undefined]);
    });
  });
}

function columnsOf(fields: FieldLike[] | undefined) {
  return (fields ?? []).map((f) => ({ name: f.name, typeOid: f.dataTypeID, type: typeName(f.dataTypeID) }));
}

function newBuilder(columns: ColumnInfo[], options: TransactionOptions): ResultBuilder {
  const limit = options.maxValueBytes;
  const valueLimit = limit ? { maxValueBytes: limit, newHasher: sha256 } : undefined;
  return new ResultBuilder(columns, options.maxRowsStored, sha256(), valueLimit);
}

function sha256() {
  const hash = createHash('sha256');
  return { update: (text: string) => void hash.update(text), digest: () => hash.digest('hex') };
}

/** Waits for a promise for at most `ms`; true if it fulfilled in time. Never rejects. */
function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = promise.then(
    () => true,
    () => false,
  );
  return Promise.race([settled, timeout]).finally(() => clearTimeout(timer));
}
