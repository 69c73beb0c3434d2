import { durationSetting, DEFAULT_LIMITS } from '../../defaults';
import { selectionOptions } from '../../diff/selection';
import type { DiffOptions, DiffResult, DiffSide, KeyValues } from '../../diff/types';
import type { Target } from '../../sql/targets';
import type { MetricValue, ProbeContext } from '../types';

/** The parameters table-drift and reconcile share: what to compare and how long to wait for a replica. */
export const TABLE_DIFF_PARAMS = {
  table: { type: 'identifier', doc: 'the table to compare', required: true },
  key: { type: 'list', doc: 'its key columns, comma-separated (default: its primary key)' },
  columns: { type: 'list', doc: 'compare only these columns (the key is always compared)' },
  exclude: { type: 'list', doc: 'columns not compared' },
  where: { type: 'string', doc: 'a SQL condition both sides are filtered by (quote it)' },
  chunk: {
    type: 'number',
    doc: `rows of the first key-range chunk (later ones adapt to take about ${DEFAULT_LIMITS.diffChunkTargetMs / 1000} s a query)`,
    default: String(DEFAULT_LIMITS.diffInitialChunkRows),
  },
  settle: {
    type: 'duration',
    doc: 'how long to wait for a replica target to replay before the recheck',
    default: durationSetting(DEFAULT_LIMITS.diffSettleMs),
  },
  'max-keys': {
    type: 'number',
    doc: 'differing keys kept for the recheck, the evidence and a repair (the counts stay exact beyond it)',
    default: String(DEFAULT_LIMITS.diffMaxKeys),
  },
} as const;

export interface TableDiffArgs {
  table: string;
  key?: string[];
  columns?: string[];
  exclude?: string[];
  where?: string;
  chunk: number;
  settle: number;
  'max-keys': number;
}

/** The engine's options for a directive's arguments, cancelled with the run. */
export function diffOptionsOf(args: TableDiffArgs, ctx: ProbeContext): DiffOptions {
  return {
    ...selectionOptions(args),
    settleMs: args.settle,
    maxKeys: Math.max(1, Math.floor(args['max-keys'])),
    initialChunkRows: Math.max(DEFAULT_LIMITS.diffMinChunkRows, Math.floor(args.chunk)),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
}

/** Both sides of a comparison, made in one place for every probe that compares tables. */
export function diffSides(ctx: ProbeContext, source: Target, target: Target): [DiffSide, DiffSide] {
  return [ctx.diffSide(source), ctx.diffSide(target)];
}

export function pairName(source: Target, target: Target, table: string): string {
  return `${source.connection.name} → ${target.connection.name}: ${table}`;
}

/** The metrics of a diff, as the issue names them; `recheck` is how a replica target stood at the recheck. */
export function diffMetrics(r: DiffResult): Record<string, MetricValue> {
  return {
    sourceRows: r.sourceRows,
    targetRows: r.targetRows,
    missingInTarget: r.missingInTarget,
    missingInSource: r.missingInSource,
    changed: r.changed,
    inFlight: r.inFlight,
    bytesReceived: r.bytesReceived,
    queries: r.queries,
    durationMs: Math.round(r.durationMs),
    method: r.method,
    recheck: r.replay,
    ...(r.keysTruncated ? { keysKept: r.keysKept, keysFound: r.keysFound, countsExact: r.countsExact } : {}),
  };
}

export function driftCount(r: Pick<DiffResult, 'missingInTarget' | 'missingInSource' | 'changed'>): number {
  return r.missingInTarget + r.missingInSource + r.changed;
}

/** A key for the record: a one-column key as its text, a composite key as the text of each column. */
export type KeyEvidence = string | string[];

export function keyEvidence(key: KeyValues): KeyEvidence {
  return key.length === 1 ? (key[0] ?? '') : [...key];
}
