import type { ResolvedConnection } from '../connections/model';
import { DEFAULT_LIMITS } from '../defaults';
import type { HeldSnapshot, TransactionOptions } from '../sql/client';
import type { SessionPool } from '../sql/sessionPool';
import type { DiffSide, QueryOptions } from './types';

// Chunk queries are bounded in rows by construction (cells, pages); this only guards against surprises.
const MAX_ROWS = 200_000;

interface Held {
  snapshot: HeldSnapshot;
  openedAt: number;
  timeoutMs: number;
}

/**
 * A diff side on a connection of a session pool: each query in its own READ ONLY transaction, or inside
 * `inSnapshot` in one READ ONLY REPEATABLE READ transaction, renewed after diffSnapshotMaxMs.
 */
export function sessionSide(
  pool: SessionPool,
  connection: ResolvedConnection,
  lockTimeoutMs: number,
  signal?: AbortSignal,
): DiffSide {
  const transaction = (options: QueryOptions): TransactionOptions => ({
    readOnly: true,
    statementTimeoutMs: options.timeoutMs,
    lockTimeoutMs,
    maxRowsStored: MAX_ROWS,
    // Diff results are narrow and bounded in rows (cells, sub-ranges, pages): the whole result in the first
    // read, streamed in one round trip, not 16, 256, 4,096, 10,000... rows a round trip.
    batchSize: MAX_ROWS,
    firstBatchRows: MAX_ROWS,
    ...(options.settings ? { settings: options.settings } : {}),
    ...(signal ? { signal } : {}),
  });
  const rowsOf = (result: { rows: (string | null)[][]; truncated: boolean } | undefined) => {
    if (result?.truncated) throw new Error(`a diff query on ${connection.name} returned more than ${MAX_ROWS} rows`);
    return result?.rows ?? [];
  };
  const alone = async (sql: string, values: (string | null)[], options: QueryOptions) => {
    const session = await pool.get(connection, signal);
    // The settings travel in the round trip that begins the transaction: one statement, fewer round trips.
    const outcome = await session.runTransaction([{ text: sql, values: values as string[], offset: 0 }], {
      ...transaction(options),
    });
    return rowsOf(outcome.statements[outcome.statements.length - 1]);
  };
  // Inside inSnapshot: the snapshot held (if any), and the queries of this side one after another.
  let snapshotMode = false;
  let held: Held | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  const inHeld = async (sql: string, values: (string | null)[], options: QueryOptions) => {
    const stale = held && (!held.snapshot.open || performance.now() - held.openedAt > DEFAULT_LIMITS.diffSnapshotMaxMs);
    if (held && (stale || held.timeoutMs !== options.timeoutMs)) await endHeld();
    if (!held) {
      const session = await pool.get(connection, signal);
      if (!session.openSnapshot) return alone(sql, values, options);
      const snapshot = await session.openSnapshot(transaction(options));
      held = { snapshot, openedAt: performance.now(), timeoutMs: options.timeoutMs };
    }
    const statement = { text: sql, values: values as string[], offset: 0 };
    return rowsOf(await held.snapshot.run(statement, options.settings ?? []));
  };
  const endHeld = async () => {
    const ending = held;
    held = undefined;
    await ending?.snapshot.end();
  };
  return {
    name: connection.name,
    query(sql, values, options) {
      if (!snapshotMode) return alone(sql, values, options);
      const next = chain.then(() => inHeld(sql, values, options));
      chain = next.catch(() => undefined);
      return next;
    },
    async inSnapshot(work) {
      snapshotMode = true;
      try {
        return await work();
      } finally {
        snapshotMode = false;
        await chain;
        await endHeld();
      }
    },
  };
}
