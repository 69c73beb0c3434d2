import type { ResolvedConnection } from '../connections/model';
import type { OpenOptions, SqlClient, SqlSession } from './client';

/** One session per connection for a run, reopened when broken, all closed at the end. */
export class SessionPool {
  private readonly sessions = new Map<string, SqlSession>();

  constructor(
    private readonly client: SqlClient,
    private readonly options: Omit<OpenOptions, 'signal'>,
  ) {}

  async get(connection: ResolvedConnection, signal?: AbortSignal): Promise<SqlSession> {
    const existing = this.sessions.get(connection.name);
    if (existing?.usable) return existing;
    if (existing) await existing.close();
    const session = await this.client.open(connection, signal ? { ...this.options, signal } : this.options);
    this.sessions.set(connection.name, session);
    return session;
  }

  /** Closes a session whose state is unknown (after a cancel or a failure), so its backend goes away now. */
  async discard(connection: ResolvedConnection): Promise<void> {
    const session = this.sessions.get(connection.name);
    this.sessions.delete(connection.name);
    await session?.close();
  }

  /** Keeps a session under another name (a round-robin endpoint's session, once its backend is known). */
  rename(from: string, to: string): void {
    const session = this.sessions.get(from);
    if (!session) return;
    this.sessions.delete(from);
    this.sessions.set(to, session);
  }

  async closeAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.close()));
  }
}
