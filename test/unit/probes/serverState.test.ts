import { describe, expect, it } from 'vitest';
import { LOCKS_SQL } from '../../../src/core/probes/catalog/locks';
import { PREPARED_TRANSACTIONS_SQL } from '../../../src/core/probes/catalog/preparedTransactions';
import { REPLICATION_SLOTS_SQL } from '../../../src/core/probes/catalog/replicationSlots';
import { TOPOLOGY_SQL } from '../../../src/core/probes/catalog/topology';
import type { Row } from '../../../src/core/probes/types';
import {
  type Answer,
  fakeContext,
  graded,
  refused,
  runDirective,
  undefinedFunction,
  undefinedTable,
} from './fakeContext';

describe('topology grading', () => {
  const node = (over: Partial<Row> = {}): Row => ({
    in_recovery: 't',
    system_id: '7300000000000000001',
    timeline: '1',
    upstream: '127.0.0.1:5432',
    receiver_status: 'streaming',
    ...over,
  });
  const primary = node({ in_recovery: 'f', upstream: null, receiver_status: null });
  const topology = (answers: Record<string, Answer>) =>
    runDirective(
      'topology on=all',
      fakeContext({ roles: { primary: ['p'], replicas: ['r1'] }, answers: [[TOPOLOGY_SQL, answers]] }),
    );

  it('is ok for a primary and a streaming standby, and warns for a standby whose receiver stopped', async () => {
    expect(graded(await topology({ p: [primary], r1: [node()] }))).toEqual({ p: 'ok', r1: 'ok' });
    const stopped = await topology({ p: [primary], r1: [node({ receiver_status: null })] });
    expect(stopped[1]).toMatchObject({
      severity: 'warning',
      connection: 'r1',
      summary: expect.stringMatching(/WAL receiver not running/),
    });
  });

  it('calls two writable nodes of one system split brain, as a typed fact', async () => {
    const findings = await topology({ p: [primary], r1: [{ ...primary, timeline: '2' }] });
    const split = findings.find((f) => f.metrics.splitBrain);
    expect(split).toMatchObject({ severity: 'critical', target: 'p,r1', metrics: { writableNodes: 2 } });
    expect(split?.connection).toBeUndefined();
  });

  it('never makes a split brain of writable nodes whose system it does not know', async () => {
    const findings = await topology({ p: [{ ...primary, system_id: null }], r1: [{ ...primary, system_id: null }] });
    expect(findings.filter((f) => f.metrics.splitBrain)).toEqual([]);
  });

  it.each<[string, Answer, RegExp]>([
    ['a server that is down', refused(), /ECONNREFUSED/],
    ['a server without pg_control_system()', undefinedFunction('pg_control_system()'), /pg_control_system/],
    ['a NULL recovery state', [node({ in_recovery: null })], /in recovery/],
    ['no row', [], /in recovery/],
  ])('says unknown for %s', async (_name, answer, reason) => {
    const findings = await topology({ p: [primary], r1: answer });
    expect(findings[1]).toMatchObject({
      severity: 'unknown',
      connection: 'r1',
      summary: expect.stringMatching(reason),
    });
  });
});

describe('replication-slots grading', () => {
  const slot = (over: Partial<Row> = {}): Row => ({
    slot_name: 's1',
    slot_type: 'physical',
    active: 't',
    wal_status: 'reserved',
    retained_bytes: String(16 * 2 ** 20),
    ...over,
  });
  const slots = async (answer: Answer) =>
    (
      await runDirective(
        'replication-slots warn=1024 critical=10240',
        fakeContext({ roles: { primary: ['p'] }, answers: [[REPLICATION_SLOTS_SQL, { p: answer }]] }),
      )
    )[0];

  it('grades by what the slot retains and whether it is active', async () => {
    expect(await slots([])).toMatchObject({ severity: 'ok', summary: 'no replication slots' });
    expect(await slots([slot()])).toMatchObject({ severity: 'ok', target: 'p/s1', connection: 'p' });
    expect(await slots([slot({ active: 'f' })])).toMatchObject({ severity: 'warning', metrics: { active: false } });
    expect(await slots([slot({ retained_bytes: String(2048 * 2 ** 20) })])).toMatchObject({ severity: 'warning' });
    expect(await slots([slot({ retained_bytes: String(20480 * 2 ** 20) })])).toMatchObject({ severity: 'critical' });
    expect(await slots([slot({ wal_status: 'lost' })])).toMatchObject({ severity: 'critical' });
  });

  it('says unknown for a query error, a missing view and a NULL retained size', async () => {
    expect(await slots(refused())).toMatchObject({
      severity: 'unknown',
      summary: expect.stringMatching(/ECONNREFUSED/),
    });
    expect(await slots(undefinedTable('pg_replication_slots'))).toMatchObject({ severity: 'unknown' });
    expect(await slots([slot({ active: 'f', retained_bytes: null })])).toMatchObject({ severity: 'unknown' });
  });
});

describe('prepared-transactions grading', () => {
  const xact = (ageMs: number | null): Row => ({
    gid: 'g1',
    owner: 'postgres',
    database: 'postgres',
    prepared: '2026-12-01 10:00:00+00',
    age_ms: ageMs === null ? null : String(ageMs),
  });
  const prepared = async (answer: Answer) =>
    (
      await runDirective(
        'prepared-transactions older-than=1m critical=10m',
        fakeContext({ roles: { primary: ['p'] }, answers: [[PREPARED_TRANSACTIONS_SQL, { p: answer }]] }),
      )
    )[0];

  it('is ok below older-than, warns past it and is critical past critical', async () => {
    expect(await prepared([])).toMatchObject({ severity: 'ok', connection: 'p' });
    expect(await prepared([xact(30_000)])).toMatchObject({ severity: 'ok', metrics: { prepared: 1, stuck: 0 } });
    expect(await prepared([xact(120_000)])).toMatchObject({ severity: 'warning', metrics: { stuck: 1 } });
    expect(await prepared([xact(700_000), xact(120_000)])).toMatchObject({ severity: 'critical' });
  });

  it('says unknown for a query error, a missing view and a transaction without an age', async () => {
    expect(await prepared(refused())).toMatchObject({ severity: 'unknown' });
    expect(await prepared(undefinedTable('pg_prepared_xacts'))).toMatchObject({ severity: 'unknown' });
    expect(await prepared([xact(null)])).toMatchObject({
      severity: 'unknown',
      summary: expect.stringMatching(/without a preparation time/),
    });
  });
});

describe('locks grading', () => {
  const blocked = (waitingS: string | null): Row => ({
    pid: '42',
    usename: 'app',
    state: 'active',
    query: 'UPDATE t SET x = 1',
    waiting_s: waitingS,
    blocked_by: '{41}',
  });
  const answers = (over: { blocking?: Answer; long?: Answer; deadlocks?: Answer } = {}) =>
    [
      [LOCKS_SQL.blocking, { p: over.blocking ?? [] }],
      [LOCKS_SQL.long, { p: over.long ?? [] }],
      [LOCKS_SQL.deadlocks, { p: over.deadlocks ?? [{ deadlocks: '3' }] }],
    ] satisfies [string, Record<string, Answer>][];
  const locks = (over: Parameters<typeof answers>[0] = {}) =>
    runDirective(
      'locks blocked-warn=5s blocked-critical=60s',
      fakeContext({ roles: { primary: ['p'] }, answers: answers(over) }),
    );

  it('is ok when nothing waits, warns and is critical by the longest wait', async () => {
    expect(graded(await locks())).toEqual({ p: 'ok', 'p/transactions': 'ok', 'p/deadlocks': 'ok' });
    expect((await locks({ blocking: [blocked('1')] }))[0]?.severity).toBe('ok');
    expect((await locks({ blocking: [blocked('10')] }))[0]?.severity).toBe('warning');
    expect((await locks({ blocking: [blocked('10'), blocked('90')] }))[0]).toMatchObject({
      severity: 'critical',
      metrics: { blockedSessions: 2, longestWaitSeconds: 90 },
    });
  });

  it('warns for long transactions, and for deadlocks new since the last run', async () => {
    const long = [{ pid: '7', usename: 'app', state: 'idle in transaction', query: 'SELECT 1', xact_s: '600' }];
    expect((await locks({ long }))[1]).toMatchObject({
      severity: 'warning',
      summary: expect.stringMatching(/1 idle in transaction/),
    });
    const ctx = fakeContext({ roles: { primary: ['p'] }, answers: answers() });
    expect((await runDirective('locks', ctx))[2]).toMatchObject({
      severity: 'ok',
      summary: expect.stringMatching(/baseline/),
    });
    const later = fakeContext({ roles: { primary: ['p'] }, answers: answers({ deadlocks: [{ deadlocks: '5' }] }) });
    ctx.memory.forEach((value, key) => later.memory.set(key, value));
    expect((await runDirective('locks', later))[2]).toMatchObject({
      severity: 'warning',
      metrics: { deadlocksSinceLastRun: 2 },
    });
  });

  it('says unknown for a query error, a missing view, a NULL wait and a NULL deadlock count', async () => {
    expect(await locks({ blocking: refused() })).toMatchObject([{ severity: 'unknown', connection: 'p' }]);
    expect(await locks({ deadlocks: undefinedTable('pg_stat_database') })).toMatchObject([{ severity: 'unknown' }]);
    expect((await locks({ blocking: [blocked(null)] }))[0]).toMatchObject({
      severity: 'unknown',
      summary: expect.stringMatching(/unknown time/),
    });
    expect(await locks({ deadlocks: [{ deadlocks: null }] })).toMatchObject([
      { severity: 'unknown', summary: expect.stringMatching(/no deadlock count/) },
    ]);
  });
});
