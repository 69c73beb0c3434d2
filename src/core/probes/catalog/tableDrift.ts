import type { Finding } from '../types';
import { defineProbe } from '../types';
import { unknownBecause } from '../context';
import { recheck, type Recheck } from './tableDriftRecheck';
import { scanDrift } from './tableDriftScan';

/**
 * Compares a table on two connections row by row, walking both in key order a chunk at a time, and names
 * the keys missing on the target, extra on the target, and different. Differences are then checked again
 * once the target has replayed what the source had when the scan ended: those that converged were in
 * flight, not drift.
 */
export const tableDriftProbe = defineProbe({
  name: 'table-drift',
  summary: 'keys missing, extra or different between two copies of a table',
  params: {
    table: { type: 'identifier', doc: 'the table to compare', required: true },
    key: { type: 'string', doc: 'its key column', required: true },
    source: { type: 'roles', doc: 'the authoritative copy', default: 'primary' },
    target: { type: 'roles', doc: 'the copy checked against it', required: true },
    sample: { type: 'number', doc: 'keys of each kind shown as evidence', default: '10' },
    settle: {
      type: 'duration',
      doc: 'how long to wait for a replica target to replay before the recheck',
      default: '5s',
    },
  },
  async run(args, ctx) {
    const [source] = ctx.targets(args.source);
    const [target] = ctx.targets(args.target);
    if (!source || !target) return [];
    const name = `${source.connection.name} → ${target.connection.name}: ${args.table}`;
    try {
      const scanned = await scanDrift(ctx, source, target, args.table, args.key);
      const checked = await recheck(ctx, source, target, scanned, args.settle);
      return [driftFinding(name, checked, Math.max(1, Math.floor(args.sample)))];
    } catch (error) {
      return [unknownBecause('table-drift', name, error)];
    }
  },
});

/** Grades what a scan and its recheck found: any difference that did not converge is critical. Pure. */
export function driftFinding(name: string, { drift, inFlight, replay }: Recheck, sample: number): Finding {
  const { missing, extra, changed } = drift.counts;
  const total = missing + extra + changed;
  const settled = inFlight.length > 0 ? `; ${inFlight.length} more were in flight and converged` : '';
  const behind = replay === 'behind' ? "; the target had not replayed the source's position in time" : '';
  return {
    probe: 'table-drift',
    target: name,
    severity: total > 0 ? 'critical' : 'ok',
    summary:
      total === 0
        ? `identical (${drift.compared} keys compared${settled})`
        : `${missing} missing on the target, ${extra} extra, ${changed} different${settled}${behind}`,
    metrics: {
      missing,
      extra,
      different: changed,
      inFlight: inFlight.length,
      keysCompared: drift.compared,
      recheck: replay,
    },
    evidence: {
      missing: drift.missing.slice(0, sample),
      extra: drift.extra.slice(0, sample),
      different: drift.changed.slice(0, sample),
      inFlight: inFlight.slice(0, sample),
    },
  };
}
