import { unknownBecause } from '../context';
import type { Finding, Row } from '../types';
import { defineProbe } from '../types';
import { SKEW_MEMORY } from './clockSkew';
import { quoteQualified } from './sqlNames';

export interface EventColumns {
  table: string;
  key: string;
  parent: string;
  time: string;
}

/** The query of causal-order for an event table (the unit tests answer it by this name). */
export function causalOrderSql(c: EventColumns): string {
  const [t, k, p, time] = [c.table, c.key, c.parent, c.time].map(quoteQualified);
  return `SELECT c.${k}::text AS event, c.${p}::text AS parent, p.${k} IS NULL AS missing,
        (extract(epoch FROM p.${time} - c.${time}) * 1000)::float8 AS before_parent_ms
        FROM ${t} c LEFT JOIN ${t} p ON p.${k} = c.${p}
        WHERE c.${p} IS NOT NULL AND (p.${k} IS NULL OR c.${time} < p.${time})
        ORDER BY p.${k} IS NULL DESC, p.${time} - c.${time} DESC LIMIT 10000`;
}

/**
 * Causal order in an event table: a child event recorded before its parent, or pointing at a parent that
 * does not exist. Differences within `tolerance` (set it to the measured clock skew) may be skew, not causality.
 */
export const causalOrderProbe = defineProbe({
  name: 'causal-order',
  summary: 'events recorded before the events they depend on, and dependencies on missing events',
  params: {
    table: { type: 'identifier', doc: 'the event table', required: true },
    key: { type: 'string', doc: 'the event id column', required: true },
    parent: { type: 'string', doc: 'the column naming the event this one depends on', required: true },
    time: { type: 'string', doc: 'the timestamp column', required: true },
    on: { type: 'roles', doc: 'role or connection holding the table', default: 'primary' },
    tolerance: {
      type: 'duration',
      doc: 'clock skew allowed between writers; by default what clock-skew measured earlier in the run, else 0',
    },
    sample: { type: 'number', doc: 'events shown as evidence', default: '5' },
  },
  async run(args, ctx) {
    const [target] = ctx.targets(args.on);
    if (!target) return [];
    const connection = target.connection.name;
    const name = `${connection}/${args.table}`;
    try {
      const rows = await ctx.query(target, causalOrderSql(args));
      const remembered = ctx.memory.get(SKEW_MEMORY);
      const tolerance = args.tolerance ?? (typeof remembered === 'number' ? remembered : 0);
      return orderFindings(name, connection, rows, tolerance, Math.max(1, Math.floor(args.sample)));
    } catch (error) {
      return [unknownBecause('causal-order', name, error, connection)];
    }
  },
});

function orderFindings(name: string, connection: string, rows: Row[], tolerance: number, sample: number): Finding[] {
  const missing = rows.filter((r) => r.missing === 't');
  const early = rows.filter((r) => r.missing !== 't');
  const certain = early.filter((r) => Number(r.before_parent_ms) > tolerance);
  const worstMs = Math.max(0, ...early.map((r) => Number(r.before_parent_ms)));
  return [
    {
      probe: 'causal-order',
      target: `${name} missing parents`,
      connection,
      severity: missing.length > 0 ? 'critical' : 'ok',
      summary:
        missing.length > 0
          ? `${missing.length} event(s) depend on an event that does not exist`
          : 'every referenced parent event exists',
      metrics: { missingParents: missing.length },
      evidence: missing.slice(0, sample),
    },
    {
      probe: 'causal-order',
      target: `${name} order`,
      connection,
      severity: certain.length > 0 ? 'critical' : early.length > 0 ? 'warning' : 'ok',
      summary:
        early.length === 0
          ? 'no event is recorded before its parent'
          : `${early.length} event(s) recorded before their parent, up to ${worstMs.toFixed(0)} ms earlier (${certain.length} beyond the ${tolerance} ms tolerance)`,
      metrics: { beforeParent: early.length, beyondTolerance: certain.length, worstMs: Math.round(worstMs) },
      evidence: early.slice(0, sample),
    },
  ];
}
