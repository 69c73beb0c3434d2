import { createHash } from 'node:crypto';
import type { Client, QueryResult } from 'pg';
import Cursor from 'pg-cursor';
import type { ResolvedConnection } from '../core/connections/model';
import type {
  BoundStatement,
  ColumnInfo,
  HeldSnapshot,
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
import { notResponding, statementError } from './pgErrors';

// Every value as the server's text: no precision lost on int8/numeric, no time zone shifted on timestamps.
const TEXT_TYPES = { getTypeParser: () => (value: string) => value };

const SERVER_STATE_SQL = `SELECT current_setting('server_version') AS version, pg_is_in_recovery() AS in_recovery,
  (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS lsn,
  pg_backend_pid() AS pid, inet_server_addr()::text AS addr, current_setting('transaction_read_only') AS read_only`;

const READ_ONLY_SQL = `SELECT current_setting('transaction_read_only') AS read_only`;

interface FieldLike {
  name: string;
  dataTypeID: number;
}
interface CursorResult {
  fields: FieldLike[];
  command: string | null;
  rowCount: number | null;
}
/** The protocol messages the guard reads: the transaction status of ReadyForQuery, reported settings. */
interface ProtocolEvents {
  on(event: 'readyForQuery', listener: (message: { status: string }) => void): void;
  on(event: 'parameterStatus', listener: (message: { parameterName: string; parameterValue: string }) => void): void;
  stream?: { destroy(): void };
}

export interface PgSessionOptions {
  /** The session was opened read-only (default_transaction_read_only); a statement turning it off is refused. */
  sessionReadOnly: boolean;
  /** Check the server's transaction status after each statement of a read-only transaction. */
  checkEachStatement: boolean;
  cancelGraceMs: number;
}

export class PgSession implements SqlSession {
  private broken = false;
  private closed = false;
  private cancelRequested = false;
  /** Set when a server did not answer a cancel in time and its connection was dropped. */
  private dropped = false;
  private dropTimer: NodeJS.Timeout | undefined;
  /** `I` idle, `T` in a transaction, `E` in a failed one: from the server's last ReadyForQuery. */
  private transactionStatus = 'I';
  private defaultReadOnly: string | undefined;

  constructor(
    private readonly client: Client,
    readonly connection: ResolvedConnection,
    private readonly options: PgSessionOptions,
  ) {
    client.on('error', () => {
      this.broken = true;
    });
    client.on('end', () => {
      this.broken = true;
    });
    const protocol = this.protocol();
    protocol.on('readyForQuery', (message) => {
      this.transactionStatus = message.status;
    });
    protocol.on('parameterStatus', (message) => {
      if (message.parameterName === 'default_transaction_read_only') this.defaultReadOnly = message.parameterValue;
    });
  }

  private protocol(): ProtocolEvents {
    return (this.client as unknown as { connection: ProtocolEvents }).connection;
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

  private runNow(statements: BoundStatement[], options: TransactionOptions): Promise<TransactionOutcome> {
    return this.guarded(options, statements.length, async () => {
      const server = await this.begin(options);
      const results: StatementResult[] = [];
      for (const statement of statements) {
        results.push(await this.runStatement(statement, options, results.length));
        if (options.readOnly) this.checkStillReadOnly(results.length - 1);
      }
      server.readOnly = await this.finish(options);
      return { statements: results, server };
    });
  }

  /**
   * Runs `work` (some round trips of a transaction) bounded: cancelled with the signal or past its statements'
   * timeouts (then dropped if the server does not answer); on any failure the transaction is rolled back.
   */
  private async guarded<T>(options: TransactionOptions, statements: number, work: () => Promise<T>): Promise<T> {
    this.cancelRequested = false;
    const onAbort = () => this.cancelThenDrop();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOutMs: number | undefined;
    // statement_timeout restarts with every cursor fetch, so a long fetch loop also gets a wall-clock limit.
    const watchdog = setTimeout(
      () => {
        timedOutMs = options.statementTimeoutMs;
        this.cancelThenDrop();
      },
      options.statementTimeoutMs * Math.max(1, statements) + 1000,
    );
    try {
      if (options.signal?.aborted)
        throw new SqlError({ kind: 'cancelled', message: `cancelled before it ran on ${this.connection.name}` });
      return await work();
    } catch (error) {
      await this.rollbackQuietly();
      if (error instanceof SqlError) throw error;
      throw this.dropped
        ? notResponding(this.connection, this.options.cancelGraceMs, timedOutMs, !!options.signal?.aborted)
        : statementError(error, this.connection, {
            cancelled: this.cancelRequested || !!options.signal?.aborted,
            timedOutMs,
          });
    } finally {
      clearTimeout(watchdog);
      clearTimeout(this.dropTimer);
      this.dropTimer = undefined;
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** A read-only snapshot held for several statements; this session's other transactions wait for its end. */
  openSnapshot(options: TransactionOptions): Promise<HeldSnapshot> {
    let release: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (release = resolve));
    const readOnly = { ...options, readOnly: true };
    const opened = this.queue.then(() => this.guarded(readOnly, 1, () => this.begin(readOnly, 'REPEATABLE READ')));
    this.queue = opened.then(
      () => ended,
      () => undefined,
    );
    return opened.then(
      (server) => this.heldSnapshot(server, readOnly, release),
      (error: unknown) => {
        release();
        throw error;
      },
    );
  }

  private heldSnapshot(server: ServerState, options: TransactionOptions, release: () => void): HeldSnapshot {
    let open = true;
    let current = options.settings ?? [];
    let chain: Promise<unknown> = Promise.resolve();
    const close = () => {
      open = false;
      release();
    };
    const runOne = async (statement: BoundStatement, settings: readonly (readonly [string, string])[]) => {
      if (!open || !this.usable)
        throw new SqlError({ kind: 'refused', message: `the snapshot on ${this.connection.name} has ended` });
      try {
        return await this.guarded(options, 1, async () => {
          const change = settingsChange(current, settings);
          if (change) await this.client.query({ text: change, types: TEXT_TYPES });
          current = settings;
          const result = await this.runStatement(statement, options, 0);
          this.checkStillReadOnly(0);
          return result;
        });
      } catch (error) {
        close();
        throw error;
      }
    };
    const isOpen = () => open && this.usable;
    const end = async () => {
      await chain;
      if (!open) return;
      try {
        if (this.usable) await this.guarded(options, 1, () => this.finish(options));
      } finally {
        close();
      }
    };
    return {
      server,
      get open() {
        return isOpen();
      },
      run: (statement, settings) => {
        const next = chain.then(() => runOne(statement, settings));
        chain = next.catch(() => undefined);
        return next;
      },
      end,
    };
  }

  /** BEGIN, the transaction's settings and the server's state in one round trip. */
  private async begin(options: TransactionOptions, isolation?: 'REPEATABLE READ'): Promise<ServerState> {
    const ms = (n: number) => `'${Math.max(0, Math.round(n))}ms'`;
    // The idle timeout frees the server if this process dies between statements. Dates and times are
    // written the same way on every server (UTC, ISO), so values from two servers compare as text.
    // The state query also takes the transaction's first snapshot, after which PostgreSQL refuses to turn a
    // read-only transaction read-write: from here on, "still in the transaction" means "still read-only".
    const sql =
      `BEGIN ${options.readOnly ? 'READ ONLY' : 'READ WRITE'}${isolation ? ` ISOLATION LEVEL ${isolation}` : ''};` +
      ` SET LOCAL statement_timeout = ${ms(options.statementTimeoutMs)};` +
      ` SET LOCAL lock_timeout = ${ms(options.lockTimeoutMs)};` +
      ` SET LOCAL idle_in_transaction_session_timeout = ${ms(options.statementTimeoutMs + 60_000)};` +
      ` SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres';` +
      `${localSettings(options.settings ?? [])} ${SERVER_STATE_SQL}`;
    const results = (await this.client.query({ text: sql, types: TEXT_TYPES })) as unknown as QueryResult[];
    const row = results[results.length - 1]?.rows[0] as Record<string, string | null>;
    return {
      serverVersion: row.version ?? 'unknown',
      inRecovery: row.in_recovery === 't',
      walLsn: row.lsn ?? null,
      backendPid: Number(row.pid),
      serverAddress: row.addr ?? null,
      readOnly: row.read_only === 'on',
    };
  }

  /**
   * The server's own answer after each statement of a read-only transaction, read from the ReadyForQuery
   * that ends it (no extra round trip): the transaction must still be open, and the session still read-only.
   */
  private checkStillReadOnly(index: number): void {
    if (!this.options.checkEachStatement) return;
    const ended = this.transactionStatus === 'I';
    const unlocked = this.options.sessionReadOnly && this.defaultReadOnly === 'off';
    if (!ended && !unlocked) return;
    // The session's state is no longer what it was opened with: never reuse it.
    this.broken = true;
    const what = ended ? 'ended the read-only transaction' : 'turned default_transaction_read_only off';
    throw new SqlError({
      kind: 'refused',
      statementIndex: index,
      message: `statement ${index + 1} ${what} on ${this.connection.name}; the cell was stopped there and rolled back`,
      hint: 'cnbook runs SQL read-only. A cell that must end its transaction or write says `-- @write`.',
    });
  }

  /** Reads transaction_read_only and ends the transaction in one round trip; read-only ones roll back. */
  private async finish(options: TransactionOptions): Promise<boolean> {
    // Locks taken for the session (not the transaction) would outlive a read-only cell: release them too.
    const end = options.readOnly ? 'ROLLBACK; SELECT pg_advisory_unlock_all()' : 'COMMIT';
    const results = (await this.client.query({
      text: `${READ_ONLY_SQL}; ${end}`,
      types: TEXT_TYPES,
    })) as unknown as QueryResult[];
    const readOnly = (results[0]?.rows[0] as Record<string, string> | undefined)?.read_only === 'on';
    if (options.readOnly && !readOnly) {
      this.broken = true;
      throw new SqlError({
        kind: 'refused',
        message: `the transaction on ${this.connection.name} was no longer read-only at its end; it was rolled back`,
      });
    }
    return readOnly;
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
      const sizer = new FetchBatchSizer(options.batchSize, DEFAULT_LIMITS.fetchBatchBytes, options.firstBatchRows);
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
      if (this.dropped) throw error;
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

  /**
   * A cancel, then a bound on it: a server that is hung (stopped, swapping, a dead network path) never
   * answers, so after the grace its connection is destroyed and whatever waited on it fails at once.
   */
  private cancelThenDrop(): void {
    void this.cancel().catch(() => undefined);
    this.dropTimer ??= setTimeout(() => this.drop(), this.options.cancelGraceMs);
  }

  private drop(): void {
    this.dropped = true;
    this.broken = true;
    this.protocol().stream?.destroy();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.dropped) return;
    // A hung server never answers the Terminate: give it a moment, then let the socket go.
    if (!(await settleWithin(this.client.end(), 1000))) this.protocol().stream?.destroy();
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

// Settings that would change who runs the transaction or whether it may write are never set this way.
const GUARDED_SETTINGS = /read_only|^role$|^session_authorization$/i;

/**
 * SET LOCAL for each setting, in the BEGIN round trip; a name that is not a plain setting name, or one the
 * read-only guarantee depends on, is refused.
 */
function localSettings(settings: readonly (readonly [string, string])[]): string {
  return settings
    .map(([name, value]) => {
      if (!/^[a-z_][a-z0-9_.]*$/i.test(name) || GUARDED_SETTINGS.test(name))
        throw new SqlError({ kind: 'refused', message: `cnbook does not set ${name} for a transaction` });
      return ` SET LOCAL ${name} = '${value.replace(/'/g, "''")}';`;
    })
    .join('');
}

/** The SET LOCALs that turn the settings `from` into `to` (those no longer wanted back to their default). */
function settingsChange(from: readonly (readonly [string, string])[], to: readonly (readonly [string, string])[]) {
  const wanted = new Map(to);
  const dropped = from.filter(([name]) => !wanted.has(name)).map(([name]) => name);
  for (const name of dropped) localSettings([[name, '']]); // the same name check as every setting
  const reset = dropped.map((name) => ` SET LOCAL ${name} TO DEFAULT;`).join('');
  const had = new Map(from);
  const changed = to.filter(([name, value]) => had.get(name) !== value);
  return `${reset}${localSettings(changed)}`.trim();
}
