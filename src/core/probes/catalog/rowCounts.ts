import { mapBounded, unknownBecause } from '../context';
import type { Finding } from '../types';
import { defineProbe } from '../types';
import { majorityOf } from '../../sql/payload';
import { quoteQualified } from './sqlNames';

/** The count query of one table (the unit tests answer it by this name). */
export function rowCountSql(table: string): string {
  return `SELECT count(*) AS n FROM ${quoteQualified(table)}`;
}

type Count = { name: string; count: number } | { name: string; error: unknown };

/** Exact row counts of tables on several connections, side by side: a first look at drift between copies. */
export const rowCountsProbe = defineProbe({
  name: 'row-counts',
  summary: 'exact row counts of tables across connections; any difference is reported',
  params: {
    tables: { type: 'list', doc: 'comma-separated table names', required: true },
    on: { type: 'roles', doc: 'roles or connections to compare', default: 'all' },
    tolerance: { type: 'number', doc: 'difference in rows still counted as agreement', default: '0' },
  },
  async run(args, ctx) {
    const targets = ctx.targets(args.on);
    const findings: Finding[] = [];
    for (const table of args.tables) {
      const counts = await mapBounded(targets, 4, async (target): Promise<Count> => {
        const name = target.connection.name;
        try {
          const [row] = await ctx.query(target, rowCountSql(table));
          const count = row?.n === null || row?.n === undefined ? NaN : Number(row.n);
          // A count that is not a number is not a measurement: it must not make the spread look small.
          return Number.isFinite(count) ? { name, count } : { name, error: new Error('the server returned no count') };
        } catch (error) {
          return { name, error };
        }
      });
      for (const c of counts)
        if ('error' in c) findings.push(unknownBecause('row-counts', `${c.name}/${table}`, c.error, c.name));
      const measured = counts.filter((c) => 'count' in c);
      if (measured.length > 0) findings.push(countsFinding(table, measured, args.tolerance));
    }
    return findings;
  },
});

function countsFinding(table: string, measured: { name: string; count: number }[], tolerance: number): Finding {
  const max = Math.max(...measured.map((c) => c.count));
  const min = Math.min(...measured.map((c) => c.count));
  const spread = max - min;
  return {
    probe: 'row-counts',
    target: table,
    severity: spread > tolerance ? 'warning' : 'ok',
    summary:
      spread === 0
        ? `${max} rows on all ${measured.length} connections`
        : `counts differ by ${spread}: ${measured.map((c) => `${c.name} ${c.count}`).join(', ')}`,
    // The count most connections agree on is the reference (the odd ones out depart from it); without a
    // majority, the first connection named (the primary, in `on=all`).
    ...(spread > tolerance
      ? { deviating: measured.filter((c) => c.count !== reference(measured)).map((c) => c.name) }
      : {}),
    metrics: { spread, ...Object.fromEntries(measured.map((c) => [c.name, c.count])) },
  };
}

function reference(measured: readonly { count: number }[]): number | undefined {
  return majorityOf(measured.map((c) => c.count)) ?? measured[0]?.count;
}
