import { diffTable } from '../../diff/engine';
import { diffSummary } from '../../diff/describe';
import { changedRows, type ChangedRow } from '../../diff/sideBySide';
import type { DiffResult } from '../../diff/types';
import type { Target } from '../../sql/targets';
import type { Finding, ProbeContext } from '../types';
import { defineProbe } from '../types';
import { unknownBecause } from '../context';
import {
  diffMetrics,
  diffOptionsOf,
  diffSides,
  driftCount,
  keyEvidence,
  pairName,
  TABLE_DIFF_PARAMS,
  type TableDiffArgs,
} from './tableDiff';

/** Changed rows shown side by side in the evidence (at most `limit`). */
const ROWS_SIDE_BY_SIDE = 5;

/**
 * Compares a table on two connections with the diff engine (src/core/diff: one scan a side, data sent in
 * proportion to the differences) and names the keys missing on either side and the rows changed, a few of
 * them side by side. Differences that converge once a replica target has replayed were in flight, not drift.
 */
export const tableDriftProbe = defineProbe({
  name: 'table-drift',
  summary: 'rows missing on either side or changed between two copies of a table',
  params: {
    ...TABLE_DIFF_PARAMS,
    source: { type: 'roles', doc: 'the authoritative copy', default: 'primary' },
    target: { type: 'roles', doc: 'the copies checked against it', required: true },
    limit: { type: 'number', doc: 'keys of each kind kept as evidence', default: '10' },
    sample: { type: 'number', doc: 'the former name of limit=' },
  },
  async run(args, ctx) {
    const [source] = ctx.targets(args.source);
    if (!source) return [];
    const limit = Math.max(1, Math.floor(args.sample ?? args.limit));
    const findings: Finding[] = [];
    for (const target of ctx.targets(args.target)) {
      if (ctx.signal?.aborted) break;
      findings.push(await compare(ctx, source, target, args, limit));
    }
    return findings;
  },
});

async function compare(
  ctx: ProbeContext,
  source: Target,
  target: Target,
  args: TableDiffArgs,
  limit: number,
): Promise<Finding> {
  const name = pairName(source, target, args.table);
  try {
    const sides = diffSides(ctx, source, target);
    const options = diffOptionsOf(args, ctx);
    const result = await diffTable(...sides, options);
    const rows = await changedRows(...sides, options, result.keys.changed.slice(0, Math.min(limit, ROWS_SIDE_BY_SIDE)));
    const finding = driftFinding(name, result, limit, rows);
    // The target's copy is the one that departs from the source: a cause on that host may explain it.
    return finding.severity === 'critical' ? { ...finding, deviating: [target.connection.name] } : finding;
  } catch (error) {
    return unknownBecause('table-drift', name, error);
  }
}

/** Grades a diff: any difference that did not converge is critical. Pure. */
export function driftFinding(name: string, result: DiffResult, limit: number, rows: ChangedRow[] = []): Finding {
  const keys = (list: DiffResult['keys']['changed']) => list.slice(0, limit).map(keyEvidence);
  return {
    probe: 'table-drift',
    target: name,
    severity: driftCount(result) > 0 ? 'critical' : 'ok',
    summary: diffSummary(result),
    metrics: diffMetrics(result),
    evidence: {
      key: result.keyColumns,
      missingInTarget: keys(result.keys.missingInTarget),
      missingInSource: keys(result.keys.missingInSource),
      changed: keys(result.keys.changed),
      inFlight: keys(result.keys.inFlight),
      changedRows: rows.map((r) => ({ key: keyEvidence(r.key), columns: r.columns })),
      ...(result.keysTruncated ? { keysTruncated: true } : {}),
    },
  };
}
