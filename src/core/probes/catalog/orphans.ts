import type { ColumnRef, Finding, ProbeContext, ProbeDefinition } from '../types';
import type { Target } from '../../sql/targets';
import { unknownBecause } from '../context';
import { quoteQualified, textArrayLiteral } from './sqlNames';

const CROSS_BATCH = 5000;

/** Child rows whose parent is missing, for relationships the schema does not declare (also across two services). */
export const orphansProbe: ProbeDefinition = {
  name: 'orphans',
  summary: 'child rows whose parent row is missing, within one database or across two connections',
  params: {
    child: { type: 'column', doc: 'child table.column', required: true },
    parent: { type: 'column', doc: 'parent table.column', required: true },
    on: { type: 'roles', doc: 'role or connection holding the child table', default: 'primary' },
    'parent-on': { type: 'roles', doc: 'role or connection holding the parent table, if another one' },
    sample: { type: 'number', doc: 'orphan keys shown as evidence', default: '5' },
    'max-keys': { type: 'number', doc: 'distinct child keys compared across connections at most', default: '1000000' },
  },
  async run(args, ctx) {
    const child = args.child as ColumnRef;
    const parent = args.parent as ColumnRef;
    const [childTarget] = ctx.targets(args.on as string[]);
    const parentTarget = args['parent-on'] ? ctx.targets(args['parent-on'] as string[])[0] : childTarget;
    if (!childTarget || !parentTarget) return [];
    const name = `${quoteQualified(child.table)}.${child.column} → ${quoteQualified(parent.table)}.${parent.column}`;
    try {
      const orphans =
        parentTarget.connection.name === childTarget.connection.name
          ? await sameDatabase(ctx, childTarget, child, parent)
          : await acrossConnections(ctx, childTarget, parentTarget, child, parent, args['max-keys'] as number);
      return [finding(name, childTarget, parentTarget, orphans, args.sample as number)];
    } catch (error) {
      return [unknownBecause('orphans', name, error)];
    }
  },
};

async function sameDatabase(
  ctx: ProbeContext,
  target: Target,
  child: ColumnRef,
  parent: ColumnRef,
): Promise<{ keys: string[]; count: number; partial: boolean }> {
  const c = `c.${quoteQualified(child.column)}`;
  const rows = await ctx.query(
    target,
    `SELECT ${c}::text AS k, count(*) OVER () AS n FROM ${quoteQualified(child.table)} c
    WHERE ${c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${quoteQualified(parent.table)} p WHERE p.${quoteQualified(parent.column)} = ${c}) LIMIT 1000`,
  );
  return { keys: rows.map((r) => r.k ?? ''), count: Number(rows[0]?.n ?? 0), partial: false };
}

async function acrossConnections(
  ctx: ProbeContext,
  childTarget: Target,
  parentTarget: Target,
  child: ColumnRef,
  parent: ColumnRef,
  maxKeys: number,
) {
  const keys = (
    await ctx.query(
      childTarget,
      `SELECT DISTINCT ${quoteQualified(child.column)}::text AS k FROM ${quoteQualified(child.table)}
    WHERE ${quoteQualified(child.column)} IS NOT NULL LIMIT ${Math.floor(maxKeys) + 1}`,
    )
  ).map((r) => r.k ?? '');
  const partial = keys.length > maxKeys;
  const missing: string[] = [];
  for (let i = 0; i < Math.min(keys.length, maxKeys); i += CROSS_BATCH) {
    const batch = keys.slice(i, i + CROSS_BATCH);
    const found = new Set(
      (
        await ctx.query(
          parentTarget,
          `SELECT ${quoteQualified(parent.column)}::text AS k FROM ${quoteQualified(parent.table)}
      WHERE ${quoteQualified(parent.column)}::text = ANY($1::text[])`,
          [textArrayLiteral(batch)],
        )
      ).map((r) => r.k),
    );
    missing.push(...batch.filter((k) => !found.has(k)));
  }
  return { keys: missing, count: missing.length, partial };
}

function finding(
  name: string,
  childTarget: Target,
  parentTarget: Target,
  orphans: { keys: string[]; count: number; partial: boolean },
  sample: number,
): Finding {
  const where =
    childTarget.connection.name === parentTarget.connection.name
      ? childTarget.connection.name
      : `${childTarget.connection.name} → ${parentTarget.connection.name}`;
  return {
    probe: 'orphans',
    target: `${where}: ${name}`,
    severity: orphans.count > 0 ? 'critical' : orphans.partial ? 'unknown' : 'ok',
    summary:
      orphans.count > 0
        ? `${orphans.count} child row key(s) without a parent`
        : orphans.partial
          ? 'no orphans among the keys compared, but not all keys were compared (max-keys)'
          : 'every child row has its parent',
    metrics: { orphans: orphans.count, partial: orphans.partial },
    evidence: orphans.keys.slice(0, Math.max(1, sample)),
  };
}
