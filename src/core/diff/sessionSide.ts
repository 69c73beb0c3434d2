import type { ResolvedConnection } from '../connections/model';
import type { SessionPool } from '../sql/sessionPool';
import type { DiffSide, QueryOptions } from './types';

// Chunk queries are bounded in rows by construction (cells, pages); this only guards against surprises.
const MAX_ROWS = 200_000;

/** A diff side on a connection of a session pool: each query in its own READ ONLY transaction. */
export function sessionSide(
  pool: SessionPool,
  connection: ResolvedConnection,
  lockTimeoutMs: number,
  signal?: AbortSignal,
): DiffSide {
  return {
    name: connection.name,
    async query(sql: string, values: (string | null)[], options: QueryOptions) {
      const session = await pool.get(connection, signal);
      // The settings travel in the round trip that begins the transaction: one statement, fewer round trips.
      const outcome = await session.runTransaction([{ text: sql, values: values as string[], offset: 0 }], {
        readOnly: true,
        statementTimeoutMs: options.timeoutMs,
        lockTimeoutMs,
        maxRowsStored: MAX_ROWS,
        batchSize: 10_000,
        ...(options.settings ? { settings: options.settings } : {}),
        ...(signal ? { signal } : {}),
      });
      const result = outcome.statements[outcome.statements.length - 1];
      if (result?.truncated) throw new Error(`a diff query on ${connection.name} returned more than ${MAX_ROWS} rows`);
      return result?.rows ?? [];
    },
  };
}
