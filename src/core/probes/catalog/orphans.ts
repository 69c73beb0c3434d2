import type { ColumnRef, Finding, ProbeContext } from '../types';
import { defineProbe } from '../types';
import type { Target } from '../../sql/targets';
import { unknownBecause } from '../context';
import { quoteQualified, textArrayLiteral } from './sqlNames';

const CROSS_BATCH = 5000;

/** The queries of orphans, by what they ask (the unit tests answer them by these names). */
export const ORPHANS_SQL = {
  sameDatabase: (child: ColumnRef, parent: ColumnRef) => {
    const c = `c.${quoteQualified(child.column)}`;
    return `SELECT ${c}::text AS k, count(*) OVER () AS n FROM ${quoteQualified(child.table)} c
    WHERE ${c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${quoteQualified(parent.table)} p WHERE p.${quoteQualified(parent.column)} = ${c}) LIMIT 1000`;
  },
  childKeys: (child: ColumnRef, maxKeys: number) =>
    `SELECT DISTINCT ${quoteQualified(child.column)}::text AS k FROM ${quoteQualified(child.table)}
    WHERE ${quoteQualified(child.column)} IS NOT NULL LIMIT ${Math.floor(maxKeys) + 1}`,
  parentKeys: (
    parent: ColumnRef,
  ) => `SELECT ${quoteQualified(parent.column)}::text AS k FROM ${quoteQualified(parent.table)}
      WHERE ${quoteQualified(parent.column)}::text = ANY($1::text[])`,
};

/** Child rows whose parent is missing, for relationships the schema does not declare (also across two services). */
export const orphansProbe = defineProbe({
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
    const { child, parent } = args;
    const [childTarget] = ctx.targets(args.on);
    const parentTarget = args['parent-on'] ? ctx.targets(args['parent-on'])[0] : childTarget;
    if (!childTarget || !parentTarget) return [];
    const sameConnection = parentTarget.connection.name === childTarget.connection.name;
    const name = `${quoteQualified(child.table)}.${child.column} → ${quoteQualified(parent.table)}.${parent.column}`;
    try {
      const orphans = sameConnection
        ? await sameDatabase(ctx, childTarget, child, parent)
        : await acrossConnections(ctx, childTarget, parentTarget, child, parent, args['max-keys']);
      return [finding(name, childTarget, parentTarget, orphans, args.sample)];
    } catch (error) {
      return [unknownBecause('orphans', name, error, sameConnection ? childTarget.connection.name : undefined)];
    }
  },
});

async function sameDatabase(
  ctx: ProbeContext,
  target: Target,
  child: ColumnRef,
  parent: ColumnRef,
): Promise<{ keys: string[]; count: number; partial: boolean }> {
  const rows = await ctx.query(target, ORPHANS_SQL.sameDatabase(child, parent));
  // The window count is the whole number of orphans; without it, at least the rows returned are.
  const counted = rows.length === 0 ? 0 : Number(rows[0]?.n ?? NaN);
  const count = Number.isFinite(counted) ? counted : rows.length;
  return { keys: rows.map((r) => r.k ?? ''), count, partial: false };
}

async function acrossConnections(
  ctx: ProbeContext,
  childTarget: Target,
  parentTarget: Target,
  child: ColumnRef,
  parent: ColumnRef,
  maxKeys: number,
) {
  const keys = (await ctx.query(childTarget, ORPHANS_SQL.childKeys(child, maxKeys))).map((r) => r.k ?? '');
  const partial = keys.length > maxKeys;
  const missing: string[] = [];
  for (let i = 0; i < Math.min(keys.length, maxKeys); i += CROSS_BATCH) {
    const batch = keys.slice(i, i + CROSS_BATCH);
    const found = new Set(
      (await ctx.query(parentTarget, ORPHANS_SQL.parentKeys(parent), [textArrayLiteral(batch)])).map((r) => r.k),
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
    ...(childTarget.connection.name === parentTarget.connection.name
      ? { connection: childTarget.connection.name }
      : {}),
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
