import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/core/diagnosis';
import { diagnosisMarkdown } from '../../src/core/record/diagnosisCell';
import type { Finding, ProbeName } from '../../src/core/probes/types';

const f = (
  probe: ProbeName,
  target: string,
  severity: Finding['severity'],
  metrics: Finding['metrics'] = {},
  summary = `${probe} ${severity}`,
): Finding => ({ probe, target, connection: target, severity, summary, metrics });
const hosts = [
  { connection: 'us-east', role: 'primary' },
  { connection: 'us-west', role: 'replicas' },
  { connection: 'eu-west', role: 'replicas' },
];
const problemsOf = (findings: Finding[]) =>
  diagnose({ findings, hosts, now: '2026-12-01T10:00:00Z' }).problems.map((p) => [p.type, p.causeNode, p.severity]);

// Scenarios the rules were not written from: two faults at once must both be named, the primary first.
describe('every problem, ranked', () => {
  it('a paused replica and broken totals: the critical integrity problem first, the paused replay after', () => {
    const d = diagnose({
      findings: [
        f('replication-lag', 'eu-west', 'warning', { replayPaused: true }),
        f('replication-lag', 'us-west', 'ok'),
        f('sql-check', 'us-east', 'critical'),
      ],
      hosts,
      now: '2026-12-01T10:00:00Z',
    });
    expect(d.consistencyType).toBe('strong');
    expect(d.problems.map((p) => [p.type, p.causeNode, p.severity])).toEqual([
      ['strong', 'Integrity', 'critical'],
      ['eventual', 'Config', 'warning'],
    ]);
    expect(d.problems[1]?.rootCause).toMatch(/^replay paused on eu-west/);
    expect(d.problems[1]?.next).toMatchObject({ chart: 'eventual', probe: 'replication-lag' });
    expect(d.problems[0]?.next).toMatchObject({ chart: 'strong', node: 'Recovery' });
  });

  it('a replica delayed on purpose (recovery_min_apply_delay) is a configuration cause, plain lag is capacity', () => {
    const d = diagnose({
      findings: [
        f('replication-lag', 'us-west', 'warning', {
          replayPaused: false,
          applyDelaySeconds: 60,
          senderState: 'streaming',
        }),
        f('replication-lag', 'eu-west', 'warning', {
          replayPaused: false,
          applyDelaySeconds: 0,
          senderState: 'streaming',
        }),
      ],
      hosts,
      now: '2026-12-01T10:00:00Z',
    });
    expect(d.problems.map((p) => [p.type, p.causeNode, p.evidence[0]?.target])).toEqual([
      ['eventual', 'Config', 'us-west'],
      ['eventual', 'Capacity', 'eu-west'],
    ]);
    expect(d.problems[0]?.rootCause).toMatch(/^replay delayed on purpose on us-west \(recovery_min_apply_delay 60 s\)/);
  });

  it('two paused replicas, an orphan and a stuck two-phase commit: four problems', () => {
    expect(
      problemsOf([
        f('replication-lag', 'eu-west', 'warning', { replayPaused: true }),
        f('replication-lag', 'us-west', 'critical', { replayPaused: true }),
        f('orphans', 'us-east', 'critical'),
        f('prepared-transactions', 'us-east', 'warning'),
      ]),
    ).toEqual([
      ['strong', 'Timeout', 'warning'],
      ['strong', 'Integrity', 'critical'],
      ['eventual', 'Config', 'critical'],
      ['eventual', 'Config', 'warning'],
    ]);
  });

  it('a split brain explains the promoted node that replication-lag calls "not a standby"', () => {
    const d = diagnose({
      findings: [
        f('topology', 'us-east,us-west', 'critical', { splitBrain: true }, 'split brain: 2 writable nodes'),
        f('replication-lag', 'us-west', 'critical', { inRecovery: false }, 'not a standby'),
      ],
      hosts,
      now: '2026-12-01T10:00:00Z',
    });
    expect(d.problems).toHaveLength(1);
    expect(d.problems[0]).toMatchObject({ type: 'strong', causeNode: 'Partition' });
    expect(d.problems[0]?.evidence.map((e) => e.probe)).toEqual(['topology', 'replication-lag']);
  });

  it('a paused replay explains the drift and stale counts seen on that replica: one problem, its cause first', () => {
    const drift = { ...f('table-drift', 'us-east → us-west: orders', 'critical'), deviating: ['us-west'] };
    const counts = { ...f('row-counts', 'orders', 'warning', { spread: 4 }), deviating: ['us-west'] };
    const d = diagnose({
      findings: [drift, counts, f('replication-lag', 'us-west', 'warning', { replayPaused: true })],
      hosts,
      now: '2026-12-01T10:00:00Z',
    });
    expect(d.problems.map((p) => [p.type, p.causeNode, p.severity])).toEqual([['eventual', 'Config', 'critical']]);
    expect(d.problems[0]?.rootCause).toMatch(/^replay paused on us-west/);
    expect(d.problems[0]?.evidence.map((e) => e.probe)).toEqual(['replication-lag', 'table-drift', 'row-counts']);
    expect(d.next?.suggestion).toMatch(/^Resume replay/);
  });

  it('copies that differ on a host no cause explains stay a problem of their own', () => {
    const counts = { ...f('row-counts', 'orders', 'warning', { spread: 4 }), deviating: ['us-west', 'target'] };
    expect(problemsOf([counts, f('replication-lag', 'us-west', 'warning', { replayPaused: true })])).toEqual([
      ['eventual', 'Config', 'warning'],
      ['eventual', 'Capacity', 'warning'],
    ]);
  });

  it("a split brain explains the promoted node's divergent rows, and leads as the strong problem", () => {
    const split = {
      ...f('topology', 'us-east,eu-west', 'critical', { splitBrain: true }),
      deviating: ['us-east', 'eu-west'],
    };
    const drift = { ...f('table-drift', 'us-east → eu-west: orders', 'critical'), deviating: ['eu-west'] };
    const d = diagnose({ findings: [drift, split], hosts, now: '2026-12-01T10:00:00Z' });
    expect(d.consistencyType).toBe('strong');
    expect(d.problems.map((p) => [p.type, p.causeNode])).toEqual([['strong', 'Partition']]);
    expect(d.problems[0]?.evidence).toContain(drift);
  });

  it('a split brain explains the inactive slot its promoted node streamed from; another slot stays a problem', () => {
    const split = {
      ...f('topology', 'us-east,eu-west', 'critical', { splitBrain: true }),
      deviating: ['us-east', 'eu-west'],
    };
    const node = f('topology', 'eu-west', 'ok', { inRecovery: false, primarySlotName: 'eu_west' });
    const slot = (name: string) =>
      f('replication-slots', `us-east/${name}`, 'warning', { slotName: name, active: false }, `slot ${name} INACTIVE`);
    const d = diagnose({ findings: [split, node, slot('eu_west')], hosts, now: '2026-12-01T10:00:00Z' });
    expect(d.problems.map((p) => [p.type, p.causeNode])).toEqual([['strong', 'Partition']]);
    expect(problemsOf([split, node, slot('eu_west'), slot('etl')])).toEqual([
      ['strong', 'Partition', 'critical'],
      ['eventual', 'Capacity', 'warning'],
    ]);
  });

  it('stale reads served by a paused replica: the paused replay leads, the routing that let them through follows', () => {
    const stale = (routing: 'round-robin' | 'sticky', on: string[]) => ({
      ...f('session-guarantees', `routing=${routing} read-your-writes`, 'critical', { routing }),
      deviating: on,
    });
    const paused = f('replication-lag', 'us-west', 'warning', { replayPaused: true });
    const d = diagnose({
      findings: [stale('round-robin', ['us-west']), stale('sticky', ['us-west']), paused],
      hosts,
      now: '2026-12-01T10:00:00Z',
    });
    expect(d.consistencyType).toBe('eventual');
    expect(d.problems.map((p) => [p.type, p.causeNode])).toEqual([
      ['eventual', 'Config'],
      ['session', 'RoundRobin'],
      ['session', 'Sticky'],
    ]);
    // Stale reads from two paused replicas: both replays lead.
    const pausedEu = f('replication-lag', 'eu-west', 'warning', { replayPaused: true });
    expect(problemsOf([stale('round-robin', ['eu-west', 'us-west']), paused, pausedEu]).map((p) => p[1])).toEqual([
      'Config',
      'Config',
      'RoundRobin',
    ]);
    // Stale reads from a replica with no cause of its own: the routing problem leads as before.
    expect(problemsOf([stale('round-robin', ['eu-west']), paused]).map((p) => p[1])).toEqual(['RoundRobin', 'Config']);
  });

  it('a promoted node without a split brain stays a replication problem', () => {
    expect(problemsOf([f('replication-lag', 'us-west', 'critical', { inRecovery: false })])).toEqual([
      ['eventual', 'Capacity', 'critical'],
    ]);
  });

  it('a skewed clock explains events stamped out of order; lag on a replica is a problem of its own', () => {
    expect(
      problemsOf([
        f('clock-skew', 'eu-west', 'critical'),
        f('causal-order', 'events', 'critical'),
        f('replication-lag', 'us-west', 'warning', { senderState: 'streaming' }),
      ]),
    ).toEqual([
      ['causal', 'ClockCause', 'critical'],
      ['eventual', 'Capacity', 'warning'],
    ]);
  });

  it('copies that differ get their own advice, not the lag advice of the chart node they share', () => {
    const d = diagnose({
      findings: [
        f('table-drift', 'us-east → target: orders', 'critical'),
        f('replication-lag', 'us-west', 'warning', { replayPaused: true }),
      ],
      hosts,
      now: '2026-12-01T10:00:00Z',
    });
    // Within one kind the paused replay leads: it may explain the copies (the probes cannot tell which copy).
    expect(d.problems.map((p) => p.rootCause.split(':')[0])).toEqual(['replay paused on us-west', 'copies differ']);
    expect(d.problems[1]?.next.suggestion).toMatch(/^Find what wrote to one copy only.*cnbook diff --repair-sql/);
    expect(d.problems[0]?.next.suggestion).toMatch(/^Resume replay/);
    expect(d.next?.suggestion).toBe(d.problems[0]?.next.suggestion);
  });

  it('names no problem when everything measured is fine', () => {
    expect(problemsOf([f('replication-lag', 'us-west', 'ok'), f('topology', 'us-east', 'unknown')])).toEqual([]);
  });
});

describe('every problem in the record', () => {
  it('lists the other problems under the primary, each with its own next step, escaped', () => {
    const d = diagnose({
      findings: [
        f('replication-lag', 'eu-west', 'warning', { replayPaused: true }, 'behind, replay *PAUSED*'),
        f('sql-check', 'us-east', 'critical'),
      ],
      hosts,
      now: '2026-12-01T10:00:00Z',
    });
    const text = diagnosisMarkdown(d, hosts);
    expect(text).toMatch(/^🔴 \*\*Strong consistency\*\*: check failed on us-east/m);
    expect(text).toContain(
      '**Also found:**\n\n- 🟡 **Eventual consistency**: replay paused on eu-west: behind, replay \\*PAUSED\\*; next: Resume replay',
    );
  });
});
