import { mapBounded, unknownBecause } from '../context';
import type { Finding, ProbeDefinition } from '../types';
import { quoteQualified } from './sqlNames';

/** Exact row counts of tables on several connections, side by side: a first look at drift between copies. */
export const rowCountsProbe: ProbeDefinition = {
  name: 'row-counts',
  summary: 'exact row counts of tables across connections; any difference is reported',
  params: {
    tables: { type: 'list', doc: 'comma-separated table names', required: true },
    on: { type: 'roles', doc: 'roles or connections to compare', default: 'all' },
    tolerance: { type: 'number', doc: 'difference in rows still counted as agreement', default: '0' },
  },
  async run(args, ctx) {
    const targets = ctx.targets(args.on as string[]);
    const findings: Finding[] = [];
    for (const table of args.tables as string[]) {
      const counts = await mapBounded(targets, 4, async (target) => {
        try {
          const [row] = await ctx.query(target, `SELECT count(*) AS n FROM ${quoteQualified(table)}`);
          return { name: target.connection.name, count: Number(row?.n) };
        } catch (error) {
          return { name: target.connection.name, error };
        }
      });
      const failed = counts.filter((c) => 'error' in c);
      failed.forEach((c) =>
        findings.push(unknownBecause('row-counts', `${c.name}/${table}`, (c as { error: unknown }).error)),
      );
      const measured = counts.filter((c): c is { name: string; count: number } => 'count' in c);
      if (measured.length === 0) continue;
      const max = Math.max(...measured.map((c) => c.count));
      const min = Math.min(...measured.map((c) => c.count));
      const spread = max - min;
      findings.push({
        probe: 'row-counts',
        target: table,
        severity: spread > (args.tolerance as number) ? 'warning' : 'ok',
        summary:
          spread === 0
            ? `${max} rows on all ${measured.length} connections`
            : `counts differ by ${spread}: ${measured.map((c) => `${c.name} ${c.count}`).join(', ')}`,
        metrics: { spread, ...Object.fromEntries(measured.map((c) => [c.name, c.count])) },
      });
    }
    return findings;
  },
};
