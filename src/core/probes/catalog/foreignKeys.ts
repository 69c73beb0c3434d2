import { mapBounded, unknownBecause } from '../context';
import type { Finding, ProbeContext, Row } from '../types';
import { defineProbe } from '../types';
import type { Target } from '../../sql/targets';

// Every declared foreign key, validated or NOT VALID, with its columns and whether its RI triggers are off.
export const FOREIGN_KEYS_SQL = `SELECT c.conname, c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent, c.convalidated,
  (SELECT string_agg(format('%I', a.attname), ',' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(att, ord)
     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att) AS child_cols,
  (SELECT string_agg(format('%I', a.attname), ',' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(att, ord)
     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.att) AS parent_cols,
  EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgconstraint = c.oid AND t.tgenabled = 'D') AS triggers_disabled
  FROM pg_constraint c WHERE c.contype = 'f' ORDER BY 2, 1`;

/** Checks every declared foreign key by anti-join: the rows that break it, however they got in. */
export const foreignKeysProbe = defineProbe({
  name: 'foreign-keys',
  summary: 'rows violating declared foreign keys (NOT VALID ones and those bypassed by disabled triggers included)',
  params: {
    on: { type: 'roles', doc: 'roles or connections to check', default: 'primary' },
    sample: { type: 'number', doc: 'violating keys shown as evidence', default: '5' },
  },
  async run(args, ctx) {
    return (
      await mapBounded(ctx.targets(args.on), 2, async (target): Promise<Finding[]> => {
        const name = target.connection.name;
        try {
          const constraints = await ctx.query(target, FOREIGN_KEYS_SQL);
          if (constraints.length === 0)
            return [
              {
                probe: 'foreign-keys',
                target: name,
                connection: name,
                severity: 'ok',
                summary: 'no foreign keys declared',
                metrics: { constraints: 0 },
              },
            ];
          const findings: Finding[] = [];
          for (const fk of constraints) findings.push(await checkConstraint(fk, target, ctx, args.sample));
          return findings;
        } catch (error) {
          return [unknownBecause('foreign-keys', name, error, name)];
        }
      })
    ).flat();
  },
});

/** The anti-join of one declared foreign key: its violating rows (the unit tests answer it by this name). */
export function violationsFrom(fk: Row): { count: string; examples: (limit: number) => string } {
  const childCols = (fk.child_cols ?? '').split(',');
  const parentCols = (fk.parent_cols ?? '').split(',');
  const notNull = childCols.map((c) => `c.${c} IS NOT NULL`).join(' AND ');
  const match = childCols.map((c, i) => `p.${parentCols[i]} = c.${c}`).join(' AND ');
  const from = `FROM ${fk.child} c WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${fk.parent} p WHERE ${match})`;
  return {
    count: `SELECT count(*) AS n ${from}`,
    examples: (limit) => `SELECT ${childCols.map((c) => `c.${c}`).join(', ')} ${from} LIMIT ${limit}`,
  };
}

async function checkConstraint(fk: Row, target: Target, ctx: ProbeContext, sample: number): Promise<Finding> {
  const sql = violationsFrom(fk);
  const [count] = await ctx.query(target, sql.count);
  const violations = count?.n === null || count?.n === undefined ? NaN : Number(count.n);
  // A count the server does not give is not zero violations.
  if (!Number.isFinite(violations)) throw new Error(`no violation count for ${fk.conname}`);
  const examples = violations > 0 ? await ctx.query(target, sql.examples(Math.max(1, Math.floor(sample)))) : [];
  const notes = [
    fk.convalidated === 'f' ? 'NOT VALID' : '',
    fk.triggers_disabled === 't' ? 'its triggers are DISABLED' : '',
  ].filter(Boolean);
  const severity = violations > 0 ? 'critical' : notes.length > 0 ? 'warning' : 'ok';
  return {
    probe: 'foreign-keys',
    target: `${target.connection.name}/${fk.conname}`,
    connection: target.connection.name,
    severity,
    summary: `${fk.child}(${fk.child_cols}) → ${fk.parent}(${fk.parent_cols}): ${violations} violating row(s)${notes.length ? ` (${notes.join(', ')})` : ''}`,
    metrics: { violations, validated: fk.convalidated === 't', triggersDisabled: fk.triggers_disabled === 't' },
    evidence: examples,
  };
}
