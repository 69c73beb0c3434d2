import { Client, ClientConfig } from 'pg';
import type { ConnectionEnvironment, ResolvedConnection } from '../core/connections/model';
import { lookupPassword } from '../core/connections/resolve';
import { choosesHost } from '../core/connections/multiHost';
import { openChosenHost } from '../core/sql/chooseHost';
import type { OpenOptions, SqlClient, SqlSession } from '../core/sql/client';
import { DEFAULT_LIMITS } from '../core/defaults';
import { PgSession, PgSessionOptions } from './pgSession';
import { ConnectAttempt, connectError } from './pgErrors';
import { SslAttempts, sslAttempts } from './pgTls';

export type PasswordProvider = (connection: ResolvedConnection) => Promise<string | undefined>;

const READ_ONLY_STARTUP = '-c default_transaction_read_only=on';

/** The node-postgres driver. Every value comes back as PostgreSQL's own text (no int8/numeric/timezone loss). */
export class NodePostgresClient implements SqlClient {
  private readonly session: PgSessionOptions;
  /**
   * host:port that refused TLS under sslmode=prefer: later sessions go plain at once. libpq goes on in the same
   * TCP connection; node-postgres reconnects, and two connections per session behind a round-robin proxy of
   * two backends always land on the same one.
   */
  private readonly refusedTls = new Set<string>();

  /** `guard` turns layers of the read-only guard off, which only the tests that attack each layer do. */
  constructor(
    private readonly passwordFor: PasswordProvider,
    guard: Partial<PgSessionOptions> = {},
  ) {
    this.session = { sessionReadOnly: true, checkEachStatement: true, cancelGraceMs: DEFAULT_LIMITS.cancelGraceMs };
    Object.assign(this.session, guard);
  }

  static fromEnvironment(environment: ConnectionEnvironment): NodePostgresClient {
    return new NodePostgresClient(async (connection) => lookupPassword(connection, environment).password);
  }

  async open(connection: ResolvedConnection, options: OpenOptions): Promise<SqlSession> {
    // Several hosts or a session attribute: the core chooses the host as libpq does, opening one at a time.
    if (choosesHost(connection))
      return openChosenHost(connection, (single) => this.open(single, options), options.connectTimeoutMs);
    // Whether the server asked for a password we did not have: pg then fails with its own words (SCRAM).
    const login = { passwordMissing: false };
    const base: ClientConfig = {
      host: connection.host,
      port: connection.port,
      user: connection.user,
      database: connection.database,
      // pg calls this only when the server asks for a password, as libpq does: a trust or certificate
      // login never prompts. It also keeps pg from reading PGPASSWORD/.pgpass behind our back.
      password: async () => {
        const password = await this.passwordFor(connection);
        login.passwordMissing = !password;
        return password ?? '';
      },
      application_name: options.applicationName,
      connectionTimeoutMillis: options.connectTimeoutMs,
      keepAlive: true,
      // Read-only from the first statement on: a transaction a cell ends leaves a session that still is.
      ...(this.session.sessionReadOnly ? { options: READ_ONLY_STARTUP } : {}),
    };
    let ssl: SslAttempts;
    try {
      ssl = sslAttempts(connection);
    } catch (error) {
      throw connectError(error, connection, options.connectTimeoutMs);
    }
    let lastError: unknown;
    const endpoint = `${connection.host}:${connection.port}`;
    const plainKnown = connection.sslmode === 'prefer' && this.refusedTls.has(endpoint);
    for (const attempt of plainKnown ? [false as const] : ssl.attempts) {
      try {
        return new PgSession(await connectClient({ ...base, ssl: attempt }, options.signal), connection, this.session);
      } catch (error) {
        lastError = error;
        if (base.options && refusesStartupOptions(error))
          return this.openBehindPooler({ ...base, ssl: attempt }, connection, options, { tls: ssl.plan, ...login });
        if (!/does not support SSL/i.test((error as Error).message)) break;
        if (connection.sslmode === 'prefer') this.refusedTls.add(endpoint);
      }
    }
    throw connectError(lastError, connection, options.connectTimeoutMs, { tls: ssl.plan, ...login });
  }

  /** Without the refused startup option: the same setting made by SET as the session's first statement. */
  private async openBehindPooler(
    config: ClientConfig,
    connection: ResolvedConnection,
    options: OpenOptions,
    attempt: ConnectAttempt,
  ): Promise<SqlSession> {
    const { options: _refused, ...withoutOption } = config;
    try {
      const client = await connectClient(withoutOption, options.signal, 'SET default_transaction_read_only = on');
      return new PgSession(client, connection, this.session);
    } catch (error) {
      throw connectError(error, connection, options.connectTimeoutMs, attempt);
    }
  }
}

/** A connected client, after `firstStatement` if given; on any failure the client is ended and the error thrown. */
async function connectClient(config: ClientConfig, signal: AbortSignal | undefined, firstStatement?: string) {
  const client = new Client(config);
  // A server that dies later must not crash the process; the session notices via `usable`.
  client.on('error', () => undefined);
  try {
    await connectWithAbort(client, signal);
    if (firstStatement) await client.query(firstStatement);
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** PgBouncer and some other poolers refuse startup options; the setting is then made with SET. */
function refusesStartupOptions(error: unknown): boolean {
  return /unsupported startup parameter/i.test((error as Error).message ?? '');
}

async function connectWithAbort(client: Client, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) {
    await client.connect();
    return;
  }
  if (signal.aborted) throw new Error('cancelled before connecting');
  const onAbort = () => void client.end().catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
