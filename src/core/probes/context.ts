import type { RoleBinding } from '../connections/model';
import { SqlError } from '../sql/errors';
import { sessionSide } from '../diff/sessionSide';
import type { SessionPool } from '../sql/sessionPool';
import { resolveTargets, Target } from '../sql/targets';
import type { Finding, ProbeContext, ProbeName, Row } from './types';
import type { ProbeJournal } from '../record/journal';

export interface ProbeContextOptions {
  bindings: ReadonlyMap<string, RoleBinding>;
  defaultRole: string;
  pool: SessionPool;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  writesPermitted: boolean;
  signal?: AbortSignal;
  memory?: Map<string, unknown>;
  /** Asks before a write whose size is known only at run time (reconcile apply=yes); absent: `writesPermitted`. */
  confirmWrite?: (question: string) => Promise<boolean>;
  /** The record's journal of committed writes (reconcile's batches), when the run keeps one. */
  journal?: ProbeJournal;
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
    const refusal = writeRefusal(target, options.writesPermitted);
    if (refusal) throw new SqlError({ kind: 'refused', message: refusal });
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
    writeTransaction: async (target, statements) => {
      checkWrite(target);
      const session = await options.pool.get(target.connection, options.signal);
      const outcome = await session.runTransaction(
        statements.map((text) => ({ text, values: [], offset: 0 })),
        {
          readOnly: false,
          statementTimeoutMs: options.statementTimeoutMs,
          lockTimeoutMs: options.lockTimeoutMs,
          maxRowsStored: 0,
          batchSize: 1000,
          ...(options.signal ? { signal: options.signal } : {}),
        },
      );
      return outcome.statements.map((r) => r.rowCount);
    },
    diffSide: (target) => sessionSide(options.pool, target.connection, options.lockTimeoutMs, options.signal),
    confirmWrite: async (question) =>
      options.writesPermitted && (options.confirmWrite ? await options.confirmWrite(question) : true),
    writesPermitted: options.writesPermitted,
    lockTimeoutMs: options.lockTimeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.journal ? { journal: options.journal } : {}),
    now: () => performance.timeOrigin + performance.now(),
    memory: options.memory ?? new Map(),
  };
}

/** Why a probe may not write to a target in this run, or undefined when it may. */
export function writeRefusal(target: Target, writesPermitted: boolean): string | undefined {
  if (!writesPermitted)
    return 'this probe writes and writes are not permitted for this run (cnbook run --allow-writes, or confirm in VS Code)';
  if (!target.connection.allowWrites)
    return `this probe writes and connection ${target.connection.name} does not allow writes ("allowWrites": true)`;
  return undefined;
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
  const unreachable = error instanceof SqlError && (error.kind === 'connection' || error.fields.notResponding === true);
  return {
    probe,
    target,
    ...(connection !== undefined ? { connection } : {}),
    severity: 'unknown',
    summary: `could not measure: ${message}`,
    metrics: {},
    evidence: { error: message },
    ...(unreachable ? { unreachable: true as const } : {}),
  };
}
