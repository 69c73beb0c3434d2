import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_SQL, SKEW_MEMORY } from '../../../src/core/probes/catalog/clockSkew';
import { SESSION_SQL } from '../../../src/core/probes/catalog/sessionGuarantees';
import type { Row } from '../../../src/core/probes/types';
import { type Answer, fakeContext, graded, refused, runDirective, undefinedFunction } from './fakeContext';

describe('clock-skew grading', () => {
  // The fake clock moves 1 ms per reading: a round trip takes 1 ms, so every bound is ±0.5 ms.
  const clock =
    (offsetMs: number | null): Answer =>
    () => [{ server_ms: offsetMs === null ? null : String(1_700_000_000_000 + offsetMs) }];
  const skew = (answers: Record<string, Answer>) => {
    const names = Object.keys(answers);
    const ctx = fakeContext({
      roles: { primary: names },
      answers: [
        [CLOCK_SKEW_SQL.open, Object.fromEntries(names.map((n) => [n, [{ '?column?': '1' }]]))],
        [CLOCK_SKEW_SQL.serverTime, answers],
      ],
    });
    return { ctx, run: () => runDirective('clock-skew on=primary samples=1 warn=250ms critical=1s', ctx) };
  };

  it('grades what lies beyond the error bound, per server and between servers', async () => {
    // The samples are sent at +1, +3, +5 ms and answered at +2, +4, +6: their midpoints are +1.5, +3.5, +5.5.
    const { ctx, run } = skew({ a: clock(1.5), b: clock(500 + 3.5), c: clock(3000 + 5.5) });
    const findings = await run();
    expect(graded(findings)).toEqual({ a: 'ok', b: 'warning', c: 'critical', 'c vs a': 'critical' });
    expect(findings[0]).toMatchObject({ connection: 'a', metrics: { offsetMs: 0, errorBoundMs: 0.5 } });
    expect(findings[3]?.connection).toBeUndefined();
    expect(ctx.memory.get(SKEW_MEMORY)).toBe(3001);
  });

  it('says unknown for a query error, a missing function and a NULL clock, never an offset of zero', async () => {
    const { run } = skew({ a: refused(), b: undefinedFunction('clock_timestamp()'), c: clock(null) });
    const findings = await run();
    expect(graded(findings)).toEqual({ a: 'unknown', b: 'unknown', c: 'unknown' });
    expect(findings[2]).toMatchObject({ connection: 'c', summary: expect.stringMatching(/no clock reading/) });
  });
});

describe('session-guarantees grading', () => {
  /** Replicas that show a session's writes up to `lag` operations late (0: all of them). */
  function sessions(lagBy: Record<string, number>, options: { writes?: boolean; read?: Answer } = {}) {
    const written = new Map<string, number>();
    const write = (values: unknown[]) => {
      written.set(String(values[1]), Number(values[2]));
      return [];
    };
    const read = (lag: number) => (values: unknown[]) => {
      const seen = Math.max(0, (written.get(String(values[1])) ?? 0) - lag);
      return [{ max: String(seen), n: String(seen) }] satisfies Row[];
    };
    const replicas = Object.keys(lagBy);
    return fakeContext({
      roles: { primary: ['p'], replicas },
      writesPermitted: options.writes ?? true,
      answers: [
        [SESSION_SQL.published, { p: [{ exists: 'f', version: '180000', publications: null }] }],
        [SESSION_SQL.publishedSchema, { p: [{ publications: null }] }],
        [SESSION_SQL.create, { p: [] }],
        [SESSION_SQL.write, { p: write }],
        [SESSION_SQL.remove, { p: [] }],
        [SESSION_SQL.visible, Object.fromEntries(replicas.map((r) => [r, [{ visible: 't' }]]))],
        [SESSION_SQL.read, Object.fromEntries(replicas.map((r) => [r, options.read ?? read(lagBy[r] ?? 0)]))],
      ],
    });
  }
  const play = (ctx: ReturnType<typeof sessions>, routing = 'round-robin') =>
    runDirective(`session-guarantees routing=${routing} sessions=2 operations=2 wait=5ms critical=0.5`, ctx);

  it('is ok when every replica shows a session its own writes, and names the routing as a typed fact', async () => {
    const findings = await play(sessions({ r1: 0, r2: 0 }), 'sticky');
    expect(findings.map((f) => [f.severity, f.metrics.routing])).toEqual([
      ['ok', 'sticky'],
      ['ok', 'sticky'],
      ['ok', 'sticky'],
    ]);
  });

  it('warns below the critical rate of stale reads and is critical at it', async () => {
    // Round robin alternates r1 and r2 for each session: half of the reads land on the stale one.
    const half = await play(sessions({ r1: 0, r2: 1 }));
    expect(half[0]).toMatchObject({ severity: 'critical', metrics: { reads: 4, staleReads: 2, staleRate: 0.5 } });
    const sticky = await play(sessions({ r1: 0, r2: 1 }), 'sticky');
    expect(sticky[0]).toMatchObject({ severity: 'critical', metrics: { staleReads: 2 } });
    const weighted = await runDirective(
      'session-guarantees routing=weighted weights=1,0 sessions=2 operations=2 wait=5ms critical=0.5',
      sessions({ r1: 0, r2: 1 }),
    );
    expect(weighted[0]).toMatchObject({ severity: 'ok', metrics: { staleReads: 0, routing: 'weighted' } });
    const one = await runDirective(
      'session-guarantees routing=sticky sessions=4 operations=1 wait=5ms critical=0.5',
      sessions({ r1: 0, r2: 0, r3: 0, r4: 1 }),
    );
    expect(one[0]).toMatchObject({ severity: 'warning', metrics: { reads: 4, staleReads: 1 } });
  });

  it('says unknown when writes are not permitted, a read fails or gives no numbers', async () => {
    expect(await play(sessions({ r1: 0 }, { writes: false }))).toMatchObject([
      { severity: 'unknown', summary: expect.stringMatching(/not permitted/) },
    ]);
    expect(await play(sessions({ r1: 0 }, { read: refused() }))).toMatchObject([{ severity: 'unknown' }]);
    expect(await play(sessions({ r1: 0 }, { read: [{ max: null, n: null }] }))).toMatchObject([
      { severity: 'unknown', summary: expect.stringMatching(/gave no read result/) },
    ]);
  });

  it('does not count a read that shows its write within tolerance= as a violation', async () => {
    // A replica that shows each write on the second read: 100 ms late on a clock that moves 100 ms a reading.
    const reads = new Map<string, number>();
    const written = new Map<string, number>();
    const ctx = fakeContext({
      roles: { primary: ['p'], replicas: ['r1'] },
      writesPermitted: true,
      tick: 100,
      answers: [
        [SESSION_SQL.published, { p: [{ exists: 'f', version: '180000', publications: null }] }],
        [SESSION_SQL.publishedSchema, { p: [{ publications: null }] }],
        [SESSION_SQL.create, { p: [] }],
        [SESSION_SQL.write, { p: (v) => (written.set(String(v[1]), Number(v[2])), []) }],
        [SESSION_SQL.remove, { p: [] }],
        [SESSION_SQL.visible, { r1: [{ visible: 't' }] }],
        [
          SESSION_SQL.read,
          {
            r1: (v) => {
              const key = `${String(v[1])}/${written.get(String(v[1])) ?? 0}`;
              reads.set(key, (reads.get(key) ?? 0) + 1);
              const seen = (written.get(String(v[1])) ?? 0) - ((reads.get(key) ?? 0) > 1 ? 0 : 1);
              return [{ max: String(seen), n: String(seen) }];
            },
          },
        ],
      ],
    });
    const directive = (tolerance: string) =>
      `session-guarantees routing=sticky sessions=1 operations=2 wait=5s tolerance=${tolerance}`;
    const strict = await runDirective(directive('0ms'), ctx);
    expect(strict[0]).toMatchObject({ severity: 'critical', metrics: { staleReads: 2 } });
    reads.clear();
    const bounded = await runDirective(directive('1s'), ctx);
    expect(bounded[0]).toMatchObject({ severity: 'ok', metrics: { staleReads: 0 } });
    expect(Number(bounded[0]?.metrics.worstStalenessMs)).toBeGreaterThan(0);
  });

  it('waits for the replicas to replay the marker table before the first read', async () => {
    let replayed = 0;
    const visible = fakeContext({
      roles: { primary: ['p'], replicas: ['r1'] },
      writesPermitted: true,
      answers: [
        [SESSION_SQL.published, { p: [{ exists: 'f', version: '180000', publications: null }] }],
        [SESSION_SQL.publishedSchema, { p: [{ publications: null }] }],
        [SESSION_SQL.create, { p: [] }],
        [SESSION_SQL.write, { p: [] }],
        [SESSION_SQL.remove, { p: [] }],
        [SESSION_SQL.visible, { r1: () => [{ visible: ++replayed >= 3 ? 't' : 'f' }] }],
        [SESSION_SQL.read, { r1: [{ max: '1', n: '1' }] }],
      ],
    });
    await runDirective('session-guarantees routing=sticky sessions=1 operations=1 wait=5s', visible);
    const order = visible.sent.map((s) => s.sql);
    expect(order.filter((q) => q === SESSION_SQL.visible)).toHaveLength(3);
    expect(order.indexOf(SESSION_SQL.read)).toBeGreaterThan(order.lastIndexOf(SESSION_SQL.visible));
  });

  it('declares that it writes to its primary', async () => {
    const ctx = sessions({ r1: 0 });
    await play(ctx);
    expect(new Set(ctx.sent.filter((s) => s.write).map((s) => s.connection))).toEqual(new Set(['p']));
  });
});
