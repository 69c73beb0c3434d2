import { describe, expect, it } from 'vitest';
import { REPLICATION_LAG_SQL as SQL, replicationLagProbe } from '../../../src/core/probes/catalog/replicationLag';
import { checkProbeCell } from '../../../src/core/probes/execute';
import type { Row } from '../../../src/core/probes/types';
import { type Answer, fakeContext, refused, undefinedFunction, undefinedTable } from './fakeContext';

const PRIMARY_LSN = '0/3000060';
/** A standby's status row; by default in recovery, replaying, last replayed commit 100 s ago (an idle primary). */
const standby = (over: Partial<Row> = {}): Row => ({
  in_recovery: 't',
  paused: 'f',
  receive_lsn: PRIMARY_LSN,
  replay_lsn: PRIMARY_LSN,
  since_last_replayed_commit_ms: '100000',
  receiver_conninfo: 'user=postgres application_name=r1',
  cluster_name: '',
  ...over,
});
const sender = (over: Partial<Row> = {}): Row => ({
  application_name: 'r1',
  state: 'streaming',
  current_lsn: PRIMARY_LSN,
  replay_lsn: PRIMARY_LSN,
  replay_bytes: '0',
  write_lag_ms: null,
  flush_lag_ms: null,
  replay_lag_ms: null,
  replay_lag_now_ms: null,
  ...over,
});

interface Cluster {
  standby?: Answer;
  senders?: Answer;
  primaryLsn?: Answer;
  /** Bytes the standby is behind (pg_wal_lsn_diff), or its answer. */
  behind?: Answer;
  seeMarker?: Answer;
  /** Whether the standby holds all the primary flushed, up to a page boundary (REPLICATION_LAG_SQL.heldAtPageEnd). */
  heldAtPageEnd?: Answer;
  primaryDown?: boolean;
}

async function lag(cluster: Cluster, directive = 'replication-lag warn=5s critical=30s', writesPermitted = false) {
  const ctx = fakeContext({
    roles: { primary: ['p'], replicas: ['r1'] },
    writesPermitted,
    ...(cluster.primaryDown ? { down: { p: refused(5433) } } : {}),
    answers: [
      [SQL.standby, { r1: cluster.standby ?? [standby()] }],
      [SQL.senders, { p: cluster.senders ?? [sender()] }],
      [SQL.primaryLsn, { p: cluster.primaryLsn ?? [{ lsn: PRIMARY_LSN }] }],
      [SQL.lsnDiff, { r1: cluster.behind ?? [{ d: '0' }] }],
      [SQL.createMarker, { p: [] }],
      [SQL.insertMarker, { p: [] }],
      [SQL.deleteMarker, { p: [] }],
      [SQL.seeMarker, { r1: cluster.seeMarker ?? [{ '?column?': '1' }] }],
      [SQL.heldAtPageEnd, { r1: cluster.heldAtPageEnd ?? [{ held: 'f' }] }],
    ],
  });
  const [valid] = checkProbeCell(directive).directives;
  if (!valid) throw new Error(`invalid directive ${directive}`);
  const findings = await replicationLagProbe.run(valid.args, ctx);
  expect(findings).toHaveLength(1);
  return { finding: findings[0]!, ctx };
}

describe('replication-lag recheck of WAL in flight', () => {
  it('counts a standby that replays what was flushed within the recheck as caught up', async () => {
    // The first look finds it 160 bytes behind, with a stale sender reply that would read as 4 s.
    const diffs = ['160', '0'];
    const { finding, ctx } = await lag({
      behind: () => [{ d: diffs.shift() ?? '0' }],
      senders: [sender({ replay_lag_now_ms: '4240' })],
      standby: [standby({ since_last_replayed_commit_ms: '5000' })],
    });
    expect(finding).toMatchObject({ severity: 'ok', metrics: { bytesBehind: 0, lagSeconds: 0 } });
    expect(ctx.sent.filter((q) => q.sql === SQL.standby)).toHaveLength(2);
  });

  it('counts a streaming standby that replayed all its sender sent as caught up (WAL not yet picked up)', async () => {
    // Behind the primary's flush LSN twice, but at the sender's sent_lsn: the third diff is sent vs replayed.
    const diffs = ['48', '48', '0'];
    const { finding } = await lag({
      behind: () => [{ d: diffs.shift() ?? '48' }],
      senders: [sender({ sent_lsn: '0/3000030', replay_lsn: '0/3000030', replay_lag_now_ms: '6200' })],
      standby: [standby({ replay_lsn: '0/3000030', since_last_replayed_commit_ms: '10000' })],
    });
    expect(finding).toMatchObject({ severity: 'ok', metrics: { bytesBehind: 0 } });
  });

  it('counts a standby that holds all the primary flushed, short of a record whose tail is not flushed, as caught up', async () => {
    // Seen on a quiet real cluster: flushed and received up to 0/1962000 (a page boundary), replayed 0/1961FE0.
    const held = { senders: [sender({ sent_lsn: '0/1962000', replay_lag_now_ms: '4940' })], behind: [{ d: '32' }] };
    const { finding, ctx } = await lag({ ...held, heldAtPageEnd: [{ held: 't' }] });
    expect(finding).toMatchObject({ severity: 'ok', metrics: { bytesBehind: 0, lagSeconds: 0 } });
    expect(ctx.sent.find((q) => q.sql === SQL.heldAtPageEnd)?.values).toEqual([PRIMARY_LSN]);
    // An apply delay holds back complete records: then those bytes are lag, and the page end is not asked.
    const delayed = await lag({
      ...held,
      heldAtPageEnd: [{ held: 't' }],
      standby: [standby({ apply_delay_ms: '60000' })],
    });
    expect(delayed.finding).toMatchObject({ severity: 'warning', metrics: { bytesBehind: 32 } });
    expect(delayed.ctx.sent.some((q) => q.sql === SQL.heldAtPageEnd)).toBe(false);
  });

  it('keeps a standby that is still behind after the recheck behind, and never rechecks a paused one', async () => {
    const still = await lag({
      behind: [{ d: '160' }],
      senders: [sender({ replay_lag_now_ms: '40000' })],
      standby: [standby({ since_last_replayed_commit_ms: '50000' })],
    });
    expect(still.finding).toMatchObject({ severity: 'critical', metrics: { bytesBehind: 160 } });
    const paused = await lag({ behind: [{ d: '160' }], standby: [standby({ paused: 't' })] });
    expect(paused.finding.metrics.replayPaused).toBe(true);
    expect(paused.ctx.sent.filter((q) => q.sql === SQL.standby)).toHaveLength(1);
  });
});

describe('replication-lag grading', () => {
  it('is ok for a caught-up replica however long ago its last commit was (an idle primary)', async () => {
    const { finding } = await lag({});
    expect(finding).toMatchObject({
      severity: 'ok',
      connection: 'r1',
      summary: 'caught up (0 bytes behind)',
      metrics: { lagSeconds: 0, lagMethod: 'lsn', bytesBehind: 0, replayPaused: false, senderState: 'streaming' },
    });
  });

  it('warns for a paused replica that is caught up for now', async () => {
    const { finding } = await lag({ standby: [standby({ paused: 't' })] });
    expect(finding).toMatchObject({ severity: 'warning', metrics: { bytesBehind: 0, replayPaused: true } });
    expect(finding.summary).toMatch(/^caught up for now .* PAUSED: the next write will not reach it$/);
  });

  it('warns for a paused replica behind by less than warn, and grades the WAL sender lag', async () => {
    const { finding } = await lag({
      standby: [standby({ paused: 't', replay_lsn: '0/2FFFF00', since_last_replayed_commit_ms: '900' })],
      senders: [sender({ replay_lsn: '0/2FFFF00', replay_lag_now_ms: '800' })],
      behind: [{ d: '352' }],
    });
    expect(finding).toMatchObject({
      severity: 'warning',
      metrics: { replayPaused: true, lagMethod: 'wal-sender', lagSeconds: 0.8, bytesBehind: 352 },
    });
  });

  it('reports the WAL sender lags in seconds to the microsecond, without float noise', async () => {
    const lags = { write_lag_ms: '0.27', flush_lag_ms: '0.271', replay_lag_ms: '2114.0871234' };
    const { finding } = await lag({ senders: [sender(lags)] });
    expect(finding.metrics).toMatchObject({ writeLagSeconds: 0.00027, flushLagSeconds: 0.000271 });
    expect(finding.metrics.replayLagSeconds).toBe(2.114087);
  });

  it('warns past warn and is critical past critical', async () => {
    const behind = (ms: string) => ({
      standby: [standby({ replay_lsn: '0/2FFFF00', since_last_replayed_commit_ms: ms })],
      senders: [sender({ replay_lsn: '0/2FFFF00', replay_lag_now_ms: ms })],
      behind: [{ d: '352' }],
    });
    expect((await lag(behind('6000'))).finding.severity).toBe('warning');
    expect((await lag(behind('45000'))).finding).toMatchObject({ severity: 'critical', metrics: { lagSeconds: 45 } });
  });

  it('is critical for a replica that is no longer in recovery (promoted)', async () => {
    const { finding } = await lag({ standby: [standby({ in_recovery: 'f' })] });
    expect(finding).toMatchObject({ severity: 'critical', metrics: { inRecovery: false } });
  });

  it('measures with a marker when asked, waiting out a marker table not yet replayed', async () => {
    let polls = 0;
    const { finding, ctx } = await lag(
      { seeMarker: () => (++polls < 3 ? undefinedTable('cnbook_lag_marker') : [{ '?column?': '1' }]) },
      'replication-lag marker=yes warn=1s critical=10s',
      true,
    );
    expect(finding).toMatchObject({ severity: 'ok', metrics: { lagMethod: 'marker' } });
    expect(polls).toBe(3);
    expect(ctx.sent.filter((s) => s.write).map((s) => s.sql)).toEqual([
      SQL.createMarker,
      SQL.insertMarker,
      SQL.deleteMarker,
    ]);
  });
});

describe('replication-lag says unknown, with the reason, when it cannot measure', () => {
  it.each<[string, Cluster, RegExp]>([
    ['the primary is down', { primaryDown: true }, /primary p could not be read: connect ECONNREFUSED/],
    [
      'the primary has no pg_stat_replication (a compatible server)',
      { senders: undefinedTable('pg_stat_replication') },
      /primary p could not be read: relation "pg_stat_replication" does not exist/,
    ],
    ['the primary gives no WAL position', { primaryLsn: [{ lsn: null }] }, /primary p gave no WAL position/],
    [
      'the standby lacks a recovery function',
      { standby: undefinedFunction('pg_last_wal_replay_lsn()') },
      /function pg_last_wal_replay_lsn\(\) does not exist/,
    ],
    ['the standby returns no row', { standby: [] }, /no status row/],
    ['the standby says NULL for in recovery', { standby: [standby({ in_recovery: null })] }, /in recovery/],
    ['the standby has no replay position', { standby: [standby({ replay_lsn: null })] }, /no replay position/],
    ['the position difference is NULL', { behind: [{ d: null }] }, /no replay position/],
  ])('%s', async (_name, cluster, reason) => {
    const { finding } = await lag(cluster);
    expect(finding).toMatchObject({ severity: 'unknown', connection: 'r1', summary: expect.stringMatching(reason) });
  });

  it('never grades an idle replica by its last commit when the primary cannot be read', async () => {
    // The replica is fine (caught up, last commit 100 s ago on an idle primary): only the primary is gone.
    const { finding } = await lag({ primaryDown: true }, 'replication-lag warn=5s critical=30s');
    expect(finding.severity).toBe('unknown');
  });

  it('says unknown when the marker cannot be read on the replica (not the timeout as lag)', async () => {
    const denied = () => new Error('permission denied for table cnbook_lag_marker');
    const { finding } = await lag({ seeMarker: denied }, 'replication-lag marker=yes timeout=1s', true);
    expect(finding).toMatchObject({ severity: 'unknown', summary: expect.stringMatching(/marker could not be read/) });
  });
});

describe('replication-lag declares what it writes', () => {
  it('writes to its primary only with a marker', () => {
    const roles = (d: string) => replicationLagProbe.writeRoles(checkProbeCell(d).directives[0]!.args);
    expect(roles('replication-lag')).toEqual([]);
    expect(roles('replication-lag marker=yes primary=east')).toEqual(['east']);
  });
});
