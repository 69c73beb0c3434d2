import { describe, expect, it } from 'vitest';
import { causalOrderSql } from '../../../src/core/probes/catalog/causalOrder';
import { FOREIGN_KEYS_SQL, violationsFrom } from '../../../src/core/probes/catalog/foreignKeys';
import { ORPHANS_SQL } from '../../../src/core/probes/catalog/orphans';
import { rowCountSql } from '../../../src/core/probes/catalog/rowCounts';
import { driftFinding } from '../../../src/core/probes/catalog/tableDrift';
import { SKEW_MEMORY } from '../../../src/core/probes/catalog/clockSkew';
import type { Row } from '../../../src/core/probes/types';
import type { DiffResult } from '../../../src/core/diff/types';
import { type Answer, fakeContext, graded, refused, runDirective, undefinedTable } from './fakeContext';

describe('row-counts grading', () => {
  const counts = (byConnection: Record<string, Answer>, tolerance = 0) =>
    runDirective(
      `row-counts tables=orders tolerance=${tolerance}`,
      fakeContext({ roles: { primary: ['p'], replicas: ['r1'] }, answers: [[rowCountSql('orders'), byConnection]] }),
    );

  it('is ok when the copies agree (within tolerance) and warns when they differ', async () => {
    expect(await counts({ p: [{ n: '100' }], r1: [{ n: '100' }] })).toMatchObject([
      { severity: 'ok', target: 'orders', metrics: { spread: 0, p: 100, r1: 100 } },
    ]);
    expect((await counts({ p: [{ n: '100' }], r1: [{ n: '98' }] }, 2))[0]?.severity).toBe('ok');
    expect(await counts({ p: [{ n: '100' }], r1: [{ n: '97' }] })).toMatchObject([
      { severity: 'warning', summary: 'counts differ by 3: p 100, r1 97' },
    ]);
  });

  // Issue 18: the copies that depart are those the majority disagrees with, not those unlike the first.
  it('names as deviating the copies whose count the majority does not share', async () => {
    const four = (answers: Record<string, Answer>) =>
      runDirective(
        'row-counts tables=orders',
        fakeContext({
          roles: { primary: ['p'], replicas: ['r1', 'r2', 'r3'] },
          answers: [[rowCountSql('orders'), answers]],
        }),
      );
    const n = (count: number) => [{ n: String(count) }];
    expect((await four({ p: n(1003), r1: n(1000), r2: n(1003), r3: n(1003) }))[0]?.deviating).toEqual(['r1']);
    expect((await four({ p: n(1000), r1: n(1003), r2: n(1003), r3: n(1003) }))[0]?.deviating).toEqual(['p']);
    // Without a majority the first named (the primary) stays the reference.
    expect((await four({ p: n(1), r1: n(2), r2: n(3), r3: n(1) }))[0]?.deviating).toEqual(['r1', 'r2']);
  });

  it('says unknown for a copy it cannot count, and compares only the counted ones', async () => {
    for (const broken of [refused(), undefinedTable('orders'), [{ n: null }], []]) {
      const findings = await counts({ p: [{ n: '100' }], r1: broken });
      expect(graded(findings)).toEqual({ 'r1/orders': 'unknown', orders: 'ok' });
      expect(findings[0]).toMatchObject({ connection: 'r1' });
      expect(findings[1]?.summary).toBe('100 rows on all 1 connections');
    }
  });
});

describe('foreign-keys grading', () => {
  const fk = (over: Partial<Row> = {}): Row => ({
    conname: 'items_order_fk',
    child: 'order_items',
    parent: 'orders',
    convalidated: 't',
    child_cols: 'order_id',
    parent_cols: 'id',
    triggers_disabled: 'f',
    ...over,
  });
  const check = (constraint: Row | Error, count: Answer = [{ n: '0' }]) => {
    const answers: [string, Record<string, Answer>][] = [
      [FOREIGN_KEYS_SQL, { p: constraint instanceof Error ? constraint : [constraint] }],
    ];
    if (!(constraint instanceof Error)) {
      const sql = violationsFrom(constraint);
      answers.push([sql.count, { p: count }], [sql.examples(5), { p: [{ order_id: '7' }] }]);
    }
    return runDirective('foreign-keys', fakeContext({ roles: { primary: ['p'] }, answers }));
  };

  it('is ok for a valid key, warns for a NOT VALID or bypassed one, is critical with violations', async () => {
    expect(await check(fk())).toMatchObject([{ severity: 'ok', target: 'p/items_order_fk', connection: 'p' }]);
    expect((await check(fk({ convalidated: 'f' })))[0]?.severity).toBe('warning');
    expect((await check(fk({ triggers_disabled: 't' })))[0]?.severity).toBe('warning');
    expect(await check(fk(), [{ n: '3' }])).toMatchObject([
      { severity: 'critical', metrics: { violations: 3 }, evidence: [{ order_id: '7' }] },
    ]);
  });

  it('says unknown for a query error, a missing catalog and a NULL violation count', async () => {
    expect(await check(refused())).toMatchObject([{ severity: 'unknown', connection: 'p' }]);
    expect(await check(undefinedTable('pg_constraint'))).toMatchObject([{ severity: 'unknown' }]);
    expect(await check(fk(), [{ n: null }])).toMatchObject([
      { severity: 'unknown', summary: expect.stringMatching(/no violation count/) },
    ]);
  });
});

describe('orphans grading', () => {
  const child = { table: 'order_items', column: 'order_id' };
  const parent = { table: 'orders', column: 'id' };
  const within = (answer: Answer) =>
    runDirective(
      'orphans child=order_items.order_id parent=orders.id',
      fakeContext({ roles: { primary: ['p'] }, answers: [[ORPHANS_SQL.sameDatabase(child, parent), { p: answer }]] }),
    );
  const across = (childKeys: Answer, parentKeys: Answer, maxKeys = 10) =>
    runDirective(
      `orphans child=order_items.order_id parent=orders.id parent-on=other max-keys=${maxKeys}`,
      fakeContext({
        roles: { primary: ['p'], other: ['o'] },
        answers: [
          [ORPHANS_SQL.childKeys(child, maxKeys), { p: childKeys }],
          [ORPHANS_SQL.parentKeys(parent), { o: parentKeys }],
        ],
      }),
    );

  it('is ok without orphans and critical with them, within one database', async () => {
    expect(await within([])).toMatchObject([{ severity: 'ok', connection: 'p' }]);
    expect(
      await within([
        { k: '7', n: '2' },
        { k: '9', n: '2' },
      ]),
    ).toMatchObject([{ severity: 'critical', metrics: { orphans: 2 }, evidence: ['7', '9'] }]);
    // Without the window count, the orphans returned are still orphans.
    expect((await within([{ k: '7', n: null }]))[0]).toMatchObject({ severity: 'critical', metrics: { orphans: 1 } });
  });

  it('compares keys across two connections, and is about neither one alone', async () => {
    const keys = [{ k: '1' }, { k: '2' }, { k: '3' }];
    const ok = await across(keys, keys);
    expect(ok).toMatchObject([{ severity: 'ok', target: expect.stringMatching(/^p → o: /) }]);
    expect(ok[0]?.connection).toBeUndefined();
    expect(await across(keys, [{ k: '1' }])).toMatchObject([{ severity: 'critical', evidence: ['2', '3'] }]);
    expect(await across(keys, keys, 2)).toMatchObject([{ severity: 'unknown', metrics: { partial: true } }]);
  });

  it('says unknown for a query error or a missing table', async () => {
    expect(await within(refused())).toMatchObject([{ severity: 'unknown', connection: 'p' }]);
    expect(await across(undefinedTable('order_items'), [])).toMatchObject([{ severity: 'unknown' }]);
  });
});

describe('causal-order grading', () => {
  const columns = { table: 'events', key: 'id', parent: 'parent_id', time: 'at' };
  const early = (ms: string | null): Row => ({ event: '2', parent: '1', missing: 'f', before_parent_ms: ms });
  const order = (answer: Answer, extra = '', memory?: number) => {
    const ctx = fakeContext({ roles: { primary: ['p'] }, answers: [[causalOrderSql(columns), { p: answer }]] });
    if (memory !== undefined) ctx.memory.set(SKEW_MEMORY, memory);
    return runDirective(`causal-order table=events key=id parent=parent_id time=at ${extra}`, ctx);
  };

  it('is ok in order, warns within the skew tolerance, is critical beyond it or for missing parents', async () => {
    expect(graded(await order([]))).toEqual({ 'p/events missing parents': 'ok', 'p/events order': 'ok' });
    expect((await order([early('40')], 'tolerance=100ms'))[1]?.severity).toBe('warning');
    expect((await order([early('40')], '', 100))[1]?.severity).toBe('warning');
    expect((await order([early('400')], 'tolerance=100ms'))[1]).toMatchObject({
      severity: 'critical',
      connection: 'p',
      metrics: { beforeParent: 1, beyondTolerance: 1, worstMs: 400 },
    });
    expect((await order([{ event: '3', parent: '99', missing: 't', before_parent_ms: null }]))[0]?.severity).toBe(
      'critical',
    );
  });

  it('says unknown for a query error or a missing table', async () => {
    expect(await order(refused())).toMatchObject([{ severity: 'unknown', connection: 'p' }]);
    expect(await order(undefinedTable('events'))).toMatchObject([{ severity: 'unknown' }]);
  });
});

describe('table-drift grading', () => {
  const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => [`${prefix}${i}`]);
  const result = (
    counts: { missingInTarget: number; missingInSource: number; changed: number },
    inFlight = 0,
    replay: DiffResult['replay'] = 'not-needed',
  ): DiffResult => ({
    table: 'orders',
    keyColumns: ['id'],
    columns: ['id', 'total'],
    sourceRows: 100,
    targetRows: 100 - counts.missingInTarget + counts.missingInSource,
    ...counts,
    inFlight,
    replay,
    keys: {
      missingInTarget: keys('m', counts.missingInTarget),
      missingInSource: keys('s', counts.missingInSource),
      changed: keys('c', counts.changed),
      inFlight: keys('f', inFlight),
    },
    keysTruncated: false,
    keysKept: counts.missingInTarget + counts.missingInSource + counts.changed + inFlight,
    keysFound: counts.missingInTarget + counts.missingInSource + counts.changed + inFlight,
    countsExact: true,
    bytesReceived: 1234,
    queries: 9,
    durationMs: 12.6,
    method: 'iblt',
    chunks: 1,
    hash: 'hashtextextended',
  });
  const none = { missingInTarget: 0, missingInSource: 0, changed: 0 };

  it('is ok when identical or converged, and critical for any difference that stays', () => {
    expect(driftFinding('a → b: orders', result(none), 10)).toMatchObject({
      severity: 'ok',
      summary: 'identical (100 rows)',
      metrics: {
        sourceRows: 100,
        targetRows: 100,
        missingInTarget: 0,
        missingInSource: 0,
        changed: 0,
        inFlight: 0,
        bytesReceived: 1234,
        queries: 9,
        durationMs: 13,
        method: 'iblt',
      },
    });
    expect(driftFinding('x', result(none, 1, 'caught-up'), 10).summary).toMatch(/1 more were in flight and converged/);
    const some = result({ missingInTarget: 1, missingInSource: 2, changed: 3 }, 0, 'behind');
    const changedRow = { key: ['c0'], columns: [{ name: 'total', source: '1.00', target: '2.00', differs: true }] };
    expect(driftFinding('x', some, 1, [changedRow])).toMatchObject({
      severity: 'critical',
      metrics: { missingInTarget: 1, missingInSource: 2, changed: 3, recheck: 'behind' },
      evidence: {
        missingInTarget: ['m0'],
        missingInSource: ['s0'],
        changed: ['c0'],
        changedRows: [{ key: 'c0', columns: changedRow.columns }],
      },
    });
    expect(driftFinding('x', some, 1).summary).toMatch(/had not replayed/);
  });

  it('says unknown when a side cannot be read', async () => {
    const ctx = fakeContext({ roles: { primary: ['p'], replicas: ['r1'] }, down: { p: refused() } });
    expect(await runDirective('table-drift table=orders key=id target=replicas', ctx)).toMatchObject([
      { severity: 'unknown', target: 'p → r1: orders', summary: expect.stringMatching(/ECONNREFUSED/) },
    ]);
  });
});
