/** The cluster moving or broken is named as that, before and never as a consistency violation. */
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/core/diagnosis';
import type { Finding } from '../../src/core/probes/types';

const hosts = [
  { connection: 'pg1', role: 'primary' },
  { connection: 'pg2', role: 'replicas' },
  { connection: 'pg3', role: 'replicas' },
];
const now = '2026-12-04T22:00:00Z';
const topology = (connection: string, severity: Finding['severity'], summary: string, metrics = {}): Finding => ({
  probe: 'topology',
  target: connection,
  connection,
  severity,
  summary,
  metrics: { inRecovery: true, ...metrics },
});
const noPrimary: Finding = {
  probe: 'topology',
  target: 'cluster',
  severity: 'critical',
  summary: 'no primary — failover in progress or the primary is down: pg2, pg3 are standbys',
  metrics: { noPrimary: true },
};

describe('transitions named as transitions', () => {
  it('during a failover (standbys whose receiver is not running, none writable): no primary, never integrity', () => {
    const d = diagnose({
      findings: [
        topology('pg2', 'warning', 'standby of unknown upstream, timeline 1, WAL receiver not running'),
        topology('pg3', 'warning', 'standby of unknown upstream, timeline 1, WAL receiver not running'),
        noPrimary,
      ],
      hosts,
      now,
    });
    expect(d.consistencyType).toBe('availability');
    expect(d.rootCause).toBe(noPrimary.summary);
    expect(d.problems.map((p) => p.type)).toEqual(['availability']);
    expect(d.next).toMatchObject({ chart: 'overall', node: 'Scope' });
    expect(d.next?.suggestion).toMatch(/^Check the HA manager .* run again once a primary is elected/);
  });

  it('a standby not streaming while a primary is there is WAL not reaching it (eventual), not integrity', () => {
    const d = diagnose({
      findings: [
        topology('pg1', 'ok', 'primary (writable), timeline 1', { inRecovery: false }),
        topology('pg2', 'warning', 'standby of unknown upstream, timeline 1, WAL receiver not running'),
      ],
      hosts,
      now,
    });
    expect(d.problems.map((p) => [p.type, p.causeNode])).toEqual([['eventual', 'Network']]);
  });

  it('a declared role that moved comes first, before what the wrong server showed', () => {
    const moved: Finding = {
      ...topology('pg1', 'critical', 'declared primary pg1 is a standby now (timeline 2); writable now: pg2'),
      metrics: { roleMismatch: true, declaredRole: 'primary' },
    };
    const lag = { ...topology('pg3', 'critical', 'replay 90 s behind'), probe: 'replication-lag' as const };
    const d = diagnose({ findings: [lag, moved], hosts, now });
    expect(d.problems.map((p) => p.rootCause)).toEqual([
      'roles moved: declared primary pg1 is a standby now (timeline 2); writable now: pg2',
      'replication lag on pg3: replay 90 s behind',
    ]);
    expect(d.next?.suggestion).toMatch(/^The profile points a role at a server that no longer has it/);
  });

  it('a member down explains the inactive slot it leaves on the primary (named after it, as Patroni does)', () => {
    const down: Finding = {
      ...topology('pg3', 'warning', 'pg3 (10.0.0.3:5432) cannot be reached: connect ECONNREFUSED'),
      metrics: { unreachable: true },
    };
    const slot: Finding = {
      probe: 'replication-slots',
      target: 'pg1/pg3',
      connection: 'pg1',
      severity: 'warning',
      summary: 'physical slot pg3 INACTIVE, retains 0.0 MB of WAL (reserved)',
      metrics: { slotName: 'pg3', active: false },
    };
    const d = diagnose({ findings: [slot, down], hosts, now });
    expect(d.problems).toHaveLength(1);
    expect(d.problems[0]).toMatchObject({ type: 'availability', rootCause: `member unreachable: ${down.summary}` });
    expect(d.problems[0]?.evidence).toEqual([down, slot]);
  });

  it('the same member down, kept by two cell runs (VS Code keeps it with each), is one problem', () => {
    const down: Finding = { ...topology('pg3', 'warning', 'pg3 cannot be reached'), metrics: { unreachable: true } };
    const d = diagnose({ findings: [down, { ...down }], hosts, now });
    expect(d.problems.map((p) => [p.rootCause, p.evidence.length])).toEqual([
      ['member unreachable: pg3 cannot be reached', 2],
    ]);
  });
});

describe('a timeline fork', () => {
  it('an old primary with writes past the fork is a strong-consistency problem: compare before rewinding', () => {
    const fork: Finding = {
      ...topology('pg1', 'critical', 'timeline fork: pg1 is on timeline 1, pg2 on 2 (forked ...)'),
      metrics: { timelineFork: true, pastFork: true },
    };
    const d = diagnose({ findings: [fork], hosts, now });
    expect(d.problems.map((p) => [p.type, p.causeNode])).toEqual([['strong', 'Partition']]);
    expect(d.next?.suggestion).toMatch(/^Keep the old primary out of service and do not rewind/);
  });
});
