import { Client, ClientConfig } from 'pg';
import type { ConnectionEnvironment, ResolvedConnection } from '../core/connections/model';
import { lookupPassword } from '../core/connections/resolve';
import type { OpenOptions, SqlClient, SqlSession } from '../core/sql/client';
import { DEFAULT_LIMITS } from '../core/defaults';
import { PgSession, PgSessionOptions } from './pgSession';
import { connectError } from './pgErrors';

export type PasswordProvider = (connection: ResolvedConnection) => Promise<string | undefined>;

const READ_ONLY_STARTUP = '-c default_transaction_read_only=on';

/** The node-postgres driver. Every value comes back as PostgreSQL's own text (no int8/numeric/timezone loss). */
export class NodePostgresClient implements SqlClient {
  private readonly session: PgSessionOptions;

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
    const base: ClientConfig = {
      host: connection.host,
      port: connection.port,
      user: connection.user,
      database: connection.database,
      // pg calls this only when the server asks for a password, as libpq does: a trust or certificate
      // login never prompts. It also keeps pg from reading PGPASSWORD/.pgpass behind our back.
      password: async () => (await this.passwordFor(connection)) ?? '',
      application_name: options.applicationName,
      connectionTimeoutMillis: options.connectTimeoutMs,
      keepAlive: true,
      // Read-only from the first statement on: a transaction a cell ends leaves a session that still is.
      ...(this.session.sessionReadOnly ? { options: READ_ONLY_STARTUP } : {}),
    };
    const attempts = sslAttempts(connection.sslmode);
    let lastError: unknown;
    for (const ssl of attempts) {
      const client = new Client({ ...base, ssl });
      // A server that dies later must not crash the process; the session notices via `usable`.
      client.on('error', () => undefined);
      try {
        await connectWithAbort(client, options.signal);
        return new PgSession(client, connection, this.session);
      } catch (error) {
        lastError = error;
        await client.end().catch(() => undefined);
        if (base.options && refusesStartupOptions(error)) return this.openWithSet(base, ssl, connection, options);
        if (!/does not support SSL/i.test((error as Error).message)) break;
      }
    }
    throw connectError(lastError, connection, options.connectTimeoutMs);
  }

  private async openWithSet(
    base: ClientConfig,
    ssl: ClientConfig['ssl'],
    connection: ResolvedConnection,
    options: OpenOptions,
  ): Promise<SqlSession> {
    const config: ClientConfig = { ...base, ssl };
    delete config.options;
    const client = new Client(config);
    client.on('error', () => undefined);
    try {
      await connectWithAbort(client, options.signal);
      await client.query('SET default_transaction_read_only = on');
      return new PgSession(client, connection, this.session);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw connectError(error, connection, options.connectTimeoutMs);
    }
  }
}

/** PgBouncer and some other poolers refuse startup options; the setting is then made with SET. */
function refusesStartupOptions(error: unknown): boolean {
  return /unsupported startup parameter/i.test((error as Error).message ?? '');
}

/** libpq's sslmode, as far as node-postgres can follow it ("prefer" tries TLS, then plain). */
function sslAttempts(mode: ResolvedConnection['sslmode']): ClientConfig['ssl'][] {
  switch (mode) {
    case 'disable':
      return [false];
    case 'allow':
      return [false, { rejectUnauthorized: false }];
    case 'prefer':
      return [{ rejectUnauthorized: false }, false];
    case 'require':
      return [{ rejectUnauthorized: false }];
    case 'verify-ca':
      return [{ rejectUnauthorized: true, checkServerIdentity: () => undefined }];
    case 'verify-full':
      return [{ rejectUnauthorized: true }];
  }
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
