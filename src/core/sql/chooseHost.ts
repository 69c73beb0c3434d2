import { acceptsServer, hostPasses, perHost } from '../connections/multiHost';
import type { ResolvedConnection } from '../connections/model';
import type { SqlSession } from './client';
import { SqlError } from './errors';

/**
 * Opens a session on the first listed host that fits target_session_attrs, as libpq does (node-postgres
 * takes one host): each host in order, a host that fails or does not fit skipped, prefer-standby first
 * looking for a standby and then taking any host. `open` opens one host; the session it returns is kept.
 */
export async function openChosenHost(
  connection: ResolvedConnection,
  open: (single: ResolvedConnection) => Promise<SqlSession>,
  checkTimeoutMs: number,
): Promise<SqlSession> {
  const attrs = connection.targetSessionAttrs ?? 'any';
  const reasons = new Map<string, string>();
  let lastError: unknown;
  for (const pass of hostPasses(attrs)) {
    for (const single of perHost(connection)) {
      const where = `${single.host}:${single.port}`;
      let session: SqlSession;
      try {
        session = await open(single);
      } catch (error) {
        lastError = error;
        reasons.set(where, (error as Error).message);
        continue;
      }
      if (pass === 'any') return session;
      const inRecovery = await serverInRecovery(session, checkTimeoutMs).catch((error: Error) => error);
      if (typeof inRecovery === 'boolean' && acceptsServer(pass, inRecovery)) return session;
      await session.close();
      reasons.set(where, typeof inRecovery === 'boolean' ? stateWord(inRecovery) : inRecovery.message);
    }
  }
  // One host that could not be reached: its own error, as a single-host connection gives it.
  if (reasons.size === 1 && lastError instanceof Error) throw lastError;
  const why = [...reasons].map(([where, reason]) => `${where}: ${reason}`).join('; ');
  throw new SqlError({
    kind: 'connection',
    message: `no host of connection '${connection.name}' fits target_session_attrs=${attrs} (${why})`,
  });
}

function stateWord(inRecovery: boolean): string {
  return inRecovery ? 'a standby (in recovery)' : 'a primary (not in recovery)';
}

async function serverInRecovery(session: SqlSession, timeoutMs: number): Promise<boolean> {
  const outcome = await session.runTransaction([{ text: 'SELECT 1', values: [], offset: 0 }], {
    readOnly: true,
    statementTimeoutMs: timeoutMs,
    lockTimeoutMs: timeoutMs,
    maxRowsStored: 1,
    batchSize: 1,
  });
  return outcome.server.inRecovery;
}
