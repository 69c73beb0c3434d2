import type { RoleBinding } from '../connections/model';
import { SqlError } from '../sql/errors';
import type { SessionPool } from '../sql/sessionPool';
import { resolveTargets, Target } from '../sql/targets';
import type { Finding, ProbeContext, ProbeName, Row } from './types';

export interface ProbeContextOptions {
  bindings: ReadonlyMap<string, RoleBinding>;
  defaultRole: string;
  pool: SessionPool;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  writesPermitted: boolean;
  signal?: AbortSignal;
  memory?: Map<string, unknown>;
}

/** Gives probes read-only queries with the run's timeouts, cancel and session pool. */
export function createProbeContext(options: ProbeContextOptions): ProbeContext {
  const run = async (
    target: Target,
    sql: string,
    values: unknown[],
    readOnly: boolean,
    cancellable = true,
  ): Promise<Row[]> => {
    const signal = cancellable ? options.signal : undefined;
    const session = await options.pool.get(target.connection, signal);
    const outcome = await session.runTransaction(
      [
        {
          text: sql,
          values: values.map((v) => (v === null || v === undefined ? (v as null) : String(v))) as string[],
          offset: 0,
        },
      ],
      {
        readOnly,
        statementTimeoutMs: options.statementTimeoutMs,
        lockTimeoutMs: options.lockTimeoutMs,
        maxRowsStored: 10_000,
        batchSize: 1000,
        ...(signal ? { signal } : {}),
      },
    );
    const result = outcome.statements[0];
    if (!result) return [];
    return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i] ?? null])));
  };
  const checkWrite = (target: Target) => {
    if (!options.writesPermitted)
      throw new SqlError({
        kind: 'refused',
        message: 'this probe writes (a marker) and writes are not permitted for this run',
      });
    if (!target.connection.allowWrites)
      throw new SqlError({
        kind: 'refused',
        message: `this probe writes (a marker) and connection ${target.connection.name} does not allow writes ("allowWrites": true)`,
      });
  };
  return {
    targets: (names) => resolveTargets(names, options.bindings, options.defaultRole),
    query: (target, sql, values = []) => run(target, sql, values, true),
    write: (target, sql, values = []) => {
      checkWrite(target);
      return run(target, sql, values, false);
    },
    cleanup: (target, sql, values = []) => {
      checkWrite(target);
      return run(target, sql, values, false, false);
    },
    writesPermitted: options.writesPermitted,
    ...(options.signal ? { signal: options.signal } : {}),
    now: () => performance.timeOrigin + performance.now(),
    memory: options.memory ?? new Map(),
  };
}

/** Runs `work` for every item with at most `limit` at once, keeping the results in order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function targetName(target: Target): string {
  return target.connection.name;
}

/** A finding for a target a probe could not measure: never ok. */
export function unknownBecause(probe: ProbeName, target: string, error: unknown, connection?: string): Finding {
  const message = error instanceof Error ? error.message : String(error);
  return {
    probe,
    target,
    ...(connection !== undefined ? { connection } : {}),
    severity: 'unknown',
    summary: `could not measure: ${message}`,
    metrics: {},
    evidence: { error: message },
  };
}
