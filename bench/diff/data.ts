/**
 * The benchmark's table pair: identical rows on both servers, then drift of every kind on the target,
 * chosen so that the true differences are known without comparing anything.
 */
export type Pattern = 'spread' | 'clustered';
export const KINDS = ['update', 'delete', 'insert', 'null-empty', 'numeric-scale', 'microsecond'] as const;

export const TABLE_SQL =
  'CREATE TABLE bench (id bigint PRIMARY KEY, name text, amount numeric, at timestamptz, note text)';

const ROW_OF_G = `2 * g, md5(g::text), round((g % 100000) / 7.0, 2),
    timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
    CASE g % 3 WHEN 0 THEN NULL WHEN 1 THEN '' ELSE 'note ' || g END`;

/** Even ids 2..2N; a third of the notes NULL, a third '', so NULL↔'' drift has something to flip. */
export function fillSql(rows: number): string {
  return `INSERT INTO bench SELECT ${ROW_OF_G} FROM generate_series(1, ${rows}) g`;
}

/** SQL that undoes a drift on the target: the touched rows deleted, then the original ones made again. */
export function restoreSql(truth: Truth): string[] {
  const touched = [...truth.changed, ...truth.missingInTarget, ...truth.missingInSource];
  const original = [...truth.changed, ...truth.missingInTarget].map((id) => Number(id) / 2);
  return [
    `DELETE FROM bench WHERE id = ANY(ARRAY[${touched.join(',') || 'NULL'}]::bigint[])`,
    `INSERT INTO bench SELECT ${ROW_OF_G} FROM unnest(ARRAY[${original.join(',') || 'NULL'}]::int[]) g`,
  ];
}

export interface Truth {
  missingInTarget: Set<string>;
  missingInSource: Set<string>;
  changed: Set<string>;
}

/** The rows to drift (1-based row numbers g, id = 2g), spread evenly or in one block in the middle. */
function driftedRows(rows: number, count: number, pattern: Pattern): number[] {
  if (pattern === 'clustered') {
    const start = Math.floor(rows / 2 - count / 2) + 1;
    return Array.from({ length: count }, (_, i) => start + i);
  }
  const stride = rows / count;
  return Array.from({ length: count }, (_, i) => 1 + Math.floor(i * stride));
}

/** SQL that drifts the target, and the differences it makes. */
export function drift(rows: number, fraction: number, pattern: Pattern): { sql: string[]; truth: Truth } {
  const count = Math.max(KINDS.length, Math.round(rows * fraction));
  const byKind = new Map<string, number[]>(KINDS.map((k) => [k, []]));
  driftedRows(rows, count, pattern).forEach((g, i) => byKind.get(KINDS[i % KINDS.length] as string)?.push(g));
  const ids = (kind: string) => (byKind.get(kind) ?? []).map((g) => 2 * g);
  const list = (kind: string) => `ARRAY[${ids(kind).join(',') || 'NULL'}]::bigint[]`;
  const sql = [
    `UPDATE bench SET name = name || 'x' WHERE id = ANY(${list('update')})`,
    `DELETE FROM bench WHERE id = ANY(${list('delete')})`,
    `INSERT INTO bench SELECT id + 1, 'inserted', 1, now(), NULL FROM unnest(${list('insert')}) id`,
    `UPDATE bench SET note = CASE WHEN note IS NULL THEN '' WHEN note = '' THEN NULL ELSE NULL END
      WHERE id = ANY(${list('null-empty')})`,
    `UPDATE bench SET amount = (amount::text || '0')::numeric WHERE id = ANY(${list('numeric-scale')})`,
    `UPDATE bench SET at = at + interval '1 microsecond' WHERE id = ANY(${list('microsecond')})`,
  ];
  const changed = new Set(['update', 'null-empty', 'numeric-scale', 'microsecond'].flatMap((k) => ids(k).map(String)));
  return {
    sql,
    truth: {
      missingInTarget: new Set(ids('delete').map(String)),
      missingInSource: new Set(ids('insert').map((id) => String(id + 1))),
      changed,
    },
  };
}

/** The row expression every method hashes or fetches: the engine's (compared columns in name order). */
export const ROW_TEXT = 'ROW(t.amount, t.at, t.id, t.name, t.note)::text';

/** Every row changed in one column: more differences than the engine keeps keys for, at any size. */
export function changeAll(rows: number): { sql: string[]; truth: Truth } {
  const ids = Array.from({ length: rows }, (_, i) => String(2 * (i + 1)));
  return {
    sql: [`UPDATE bench SET name = name || 'x'`],
    truth: { missingInTarget: new Set(), missingInSource: new Set(), changed: new Set(ids) },
  };
}
