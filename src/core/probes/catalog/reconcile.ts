import { DEFAULT_LIMITS } from '../../defaults';
import { diffSummary, keptText } from '../../diff/describe';
import { diffTable } from '../../diff/engine';
import { BATCH_SETUP, buildRepair, scriptOf, type RepairCounts, type RepairScript } from '../../diff/repair';
import type { DiffResult } from '../../diff/types';
import type { ResolvedConnection } from '../../connections/model';
import { SqlError } from '../../sql/errors';
import type { Target } from '../../sql/targets';
import { unknownBecause, writeRefusal } from '../context';
import type { Finding, ProbeContext } from '../types';
import { defineProbe } from '../types';
import { diffMetrics, diffOptionsOf, diffSides, driftCount, pairName, TABLE_DIFF_PARAMS } from './tableDiff';

/**
 * Makes a copy of a table match its source for the differing rows only: a diff (src/core/diff), then the
 * statements that repair the target and those that undo the repair, values quoted from the servers' text,
 * in key order and in batches. A dry run by default, the scripts kept in the finding for review; with
 * apply=yes (a write: allowed connection, confirmation naming the host and counts, never a node in
 * recovery) one transaction a batch, then the table compared again.
 */
export const reconcileProbe = defineProbe({
  name: 'reconcile',
  summary: 'the SQL that makes a copy of a table match its source (and its undo); applied with apply=yes',
  params: {
    ...TABLE_DIFF_PARAMS,
    from: { type: 'roles', doc: 'the authoritative copy (read only)', required: true },
    to: { type: 'roles', doc: 'the copy to repair (written with apply=yes)', required: true },
    batch: {
      type: 'number',
      doc: 'rows changed per transaction',
      default: String(DEFAULT_LIMITS.repairBatchRows),
    },
    apply: { type: 'bool', doc: 'run the repair on the target (a write) instead of showing it', default: 'no' },
    limit: { type: 'number', doc: 'statements of each script kept in the record', default: '200' },
  },
  writeRoles: (args) => (args.apply ? args.to : []),
  asksBeforeWriting: true,
  async run(args, ctx) {
    const from = ctx.targets(args.from);
    const to = ctx.targets(args.to);
    const [source, target] = [from[0], to[0]];
    if (!source || !target) return [];
    const name = pairName(source, target, args.table);
    try {
      if (from.length > 1 || to.length > 1)
        throw new Error(`reconcile repairs one copy from one source: from= and to= must each name one connection`);
      const sides = diffSides(ctx, source, target);
      const options = diffOptionsOf(args, ctx);
      const before = await diffTable(...sides, options);
      if (before.keysTruncated) return [refusedFinding(name, before)];
      const script = await buildRepair(...sides, options, before, Math.max(1, args.batch), ctx.lockTimeoutMs);
      const shown = Math.max(1, Math.floor(args.limit));
      const finding = (outcome?: Applied | 'declined') =>
        repairFinding(name, before, script, { shown, lockTimeoutMs: ctx.lockTimeoutMs }, outcome);
      if (!args.apply || driftCount(before) === 0) return [finding()];
      const applied = await applyRepair(ctx, { target, table: args.table, name }, script);
      if (applied === 'declined') return [finding('declined')];
      // Cancelled: what was committed is said; comparing again would be cancelled too.
      if (ctx.signal?.aborted) return [finding(applied)];
      return [finding({ after: await diffTable(...sides, options), ...applied })];
    } catch (error) {
      return [unknownBecause('reconcile', name, error)];
    }
  },
});

interface Batches {
  /** Rows the statements changed, as the server counted them. */
  rowsChanged: number;
  /** Batches committed; fewer than planned when one failed (that one rolled back). */
  batchesApplied: number;
  /** Why the batch after the last committed one failed. */
  error?: string;
}

interface Applied extends Batches {
  /** The comparison after the repair; absent when the run was cancelled. */
  after?: DiffResult;
}

/** What a person is asked before a repair is applied: the connection, its host, the table and every count. */
export function repairConfirmation(
  connection: Pick<ResolvedConnection, 'name' | 'host' | 'port' | 'database'>,
  table: string,
  counts: RepairCounts,
  batches: number,
): string {
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  return (
    `Reconcile writes to ${connection.name} (${connection.host}:${connection.port}/${connection.database}): ` +
    `${table} gets ${n(counts.insert, 'insert')}, ${n(counts.update, 'update')} and ${n(counts.delete, 'delete')} ` +
    `in ${n(batches, 'transaction')}.`
  );
}

const RECOVERY_SQL = 'SELECT pg_is_in_recovery()::text AS recovery';

/** What a repair writes to: the target connection, its table and the finding's label. */
interface RepairPlace {
  target: Target;
  table: string;
  name: string;
}

/** Refuses what must not be written, asks, then runs each batch in its own transaction. */
async function applyRepair(ctx: ProbeContext, place: RepairPlace, script: RepairScript): Promise<Batches | 'declined'> {
  const { target, table } = place;
  const refusal = writeRefusal(target, ctx.writesPermitted);
  if (refusal) throw new SqlError({ kind: 'refused', message: refusal });
  const [state] = await ctx.query(target, RECOVERY_SQL);
  if (state?.recovery !== 'false')
    throw new SqlError({
      kind: 'refused',
      message: `${target.connection.name} is in recovery (a standby): a repair writes only to a node that accepts writes`,
    });
  if (!(await ctx.confirmWrite(repairConfirmation(target.connection, table, script.counts, script.batches))))
    return 'declined';
  const journal = repairJournal(ctx, place, script.batches);
  const done = await runBatches(ctx, target, script, journal);
  journal.ended(done);
  return done;
}

async function runBatches(
  ctx: ProbeContext,
  target: Target,
  script: RepairScript,
  journal: ReturnType<typeof repairJournal>,
): Promise<Batches> {
  const done: Batches = { rowsChanged: 0, batchesApplied: 0 };
  for (const [index, batch] of script.applyBatches.entries()) {
    if (ctx.signal?.aborted) return { ...done, error: 'the repair was cancelled' };
    const keys = script.applyBatchKeys[index] ?? [];
    journal.started(index + 1, batch.length, keys);
    try {
      const counts = await ctx.writeTransaction(target, [BATCH_SETUP, ...batch]);
      const rows = counts.slice(1).reduce((a, b) => a + b, 0);
      // Right after COMMIT returned, before anything else: a kill from here on leaves the batch in the journal.
      journal.committed(index + 1, rows);
      done.rowsChanged += rows;
      done.batchesApplied++;
    } catch (error) {
      // Earlier batches are committed: say so, and compare again, rather than lose that in an error.
      return { ...done, error: error instanceof Error ? error.message : String(error) };
    }
  }
  return done;
}

/** The repair's entries in the run's journal (none when the run keeps no journal). */
function repairJournal(ctx: ProbeContext, { target, table, name }: RepairPlace, batches: number) {
  const base = { probe: 'reconcile' as const, target: name, connection: target.connection.name, table };
  const at = () => new Date(ctx.now()).toISOString();
  return {
    started: (batch: number, statements: number, keys: readonly string[][]) =>
      ctx.journal?.append({
        ...base,
        kind: 'batch-started',
        at: at(),
        batch,
        batches,
        statements,
        firstKey: keys[0] ?? [],
        lastKey: keys.at(-1) ?? [],
      }),
    committed: (batch: number, rows: number) =>
      ctx.journal?.append({ ...base, kind: 'batch-committed', at: at(), batch, batches, rows }),
    ended: (done: Batches) =>
      ctx.journal?.append({
        ...base,
        kind: 'ended',
        at: at(),
        batchesCommitted: done.batchesApplied,
        rowsChanged: done.rowsChanged,
      }),
  };
}

/** The first `shown` statements of a script's batches, as a script. */
function shownScript(batches: string[][], shown: number, lockTimeoutMs: number): string {
  const kept: string[][] = [];
  let left = shown;
  for (const batch of batches) {
    if (left <= 0) break;
    kept.push(batch.slice(0, left));
    left -= batch.length;
  }
  return scriptOf(kept, lockTimeoutMs);
}

function repairFinding(
  name: string,
  before: DiffResult,
  script: RepairScript,
  { shown, lockTimeoutMs }: { shown: number; lockTimeoutMs: number },
  outcome?: Applied | 'declined',
): Finding {
  const statements = script.counts.insert + script.counts.update + script.counts.delete;
  const after = typeof outcome === 'object' ? outcome.after : undefined;
  const remaining = after ? driftCount(after) : driftCount(before);
  return {
    probe: 'reconcile',
    target: name,
    severity: remaining > 0 ? 'critical' : 'ok',
    summary: repairSummary(before, script, outcome),
    metrics: {
      ...diffMetrics(before),
      inserts: script.counts.insert,
      updates: script.counts.update,
      deletes: script.counts.delete,
      batches: script.batches,
      applied: typeof outcome === 'object',
      ...(typeof outcome === 'object'
        ? { rowsChanged: outcome.rowsChanged, batchesApplied: outcome.batchesApplied }
        : {}),
      ...(after
        ? {
            afterMissingInTarget: after.missingInTarget,
            afterMissingInSource: after.missingInSource,
            afterChanged: after.changed,
          }
        : {}),
    },
    evidence: {
      statements,
      shown: Math.min(shown, statements),
      apply: shownScript(script.applyBatches, shown, lockTimeoutMs),
      undo: shownScript(script.undoBatches, shown, lockTimeoutMs),
    },
  };
}

/** A repair needs every differing key: with some not kept, nothing is planned, and the counts say why. */
function refusedFinding(name: string, before: DiffResult): Finding {
  return {
    probe: 'reconcile',
    target: name,
    severity: 'critical',
    summary: `no repair: ${diffSummary(before)}; ${keptText(before)} (narrow it with where= or raise max-keys=)`,
    metrics: diffMetrics(before),
    evidence: {},
  };
}

function repairSummary(before: DiffResult, script: RepairScript, outcome?: Applied | 'declined'): string {
  const { insert, update, delete: remove } = script.counts;
  if (driftCount(before) === 0) return `nothing to repair: ${diffSummary(before)}`;
  const plan = `${insert} inserts, ${update} updates, ${remove} deletes in ${script.batches} transactions`;
  if (outcome === undefined) return `dry run: ${diffSummary(before)}; the repair is ${plan} (apply=yes runs it)`;
  if (outcome === 'declined') return `not applied (the write was not confirmed): ${diffSummary(before)}`;
  const again = outcome.after ? `compared again, ${diffSummary(outcome.after)}` : 'not compared again';
  if (outcome.error !== undefined)
    return `stopped after ${outcome.batchesApplied} of ${script.batches} transactions (${outcome.error}); ${again}`;
  const left = outcome.after ? driftCount(outcome.after) : 0;
  return left === 0 ? `repaired: ${plan}; ${again}` : `applied ${plan}, but ${left} rows still differ: ${again}`;
}
