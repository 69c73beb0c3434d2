import { describe, expect, it } from 'vitest';
import { bearsOn, chartToMermaid, diagnose, eventualChart, mermaidText, runbookSteps } from '../../src/core/diagnosis';
import type { Finding, ProbeName } from '../../src/core/probes/types';
import { withLegacyFacts } from '../../src/core/probes/render';

// Findings as saved before they carried typed facts: read back, the labels give them (withLegacyFacts).
const f = (
  probe: ProbeName,
  target: string,
  severity: Finding['severity'],
  summary = `${probe} ${severity}`,
  metrics: Finding['metrics'] = {},
): Finding => withLegacyFacts({ probe, target, severity, summary, metrics });
const hosts = [
  { connection: 'db-primary', role: 'primary' },
  { connection: 'db-replica-1', role: 'replicas' },
  { connection: 'db-replica-2', role: 'replicas' },
];
const now = '2026-11-25T10:40:00.000Z';

describe('diagnosis', () => {
  it.each([
    [
      'eventual, replay paused',
      [
        f('replication-lag', 'db-replica-2', 'critical', 'behind 40 s', { replayPaused: true }),
        f('replication-lag', 'db-replica-1', 'ok'),
      ],
      'eventual',
      /replay paused on db-replica-2/,
      'eventual:Config',
    ],
    [
      'eventual, slot',
      [f('replication-slots', 'db-primary/s1', 'warning', 'INACTIVE')],
      'eventual',
      /WAL retained by db-primary\/s1/,
      'eventual:Capacity',
    ],
    [
      'strong, split brain',
      [
        f('topology', 'db-primary,db-replica-1', 'critical', 'split brain: 2 writable nodes'),
        f('replication-lag', 'db-replica-1', 'critical', 'not a standby'),
      ],
      'strong',
      /^split brain/,
      'strong:Partition',
    ],
    [
      'strong, 2PC',
      [f('prepared-transactions', 'db-primary', 'warning', '1 stuck')],
      'strong',
      /two-phase commit in doubt/,
      'strong:Timeout',
    ],
    [
      'strong, integrity',
      [f('sql-check', 'db-primary', 'critical', 'cell 3: expected no rows, got 3')],
      'strong',
      /^check failed on db-primary: cell 3: expected no rows, got 3$/,
      'strong:Integrity',
    ],
    [
      'session beats the lag it explains',
      [
        f('session-guarantees', 'routing=sticky over a,b read-your-writes', 'critical'),
        f('replication-lag', 'db-replica-1', 'critical'),
      ],
      'session',
      /sticky routing/,
      'session:Sticky',
    ],
    [
      'causal, skew',
      [
        f('clock-skew', 'db-replica-1', 'critical', '+3000 ms ± 1 ms'),
        f('causal-order', 'db-primary/events order', 'warning'),
      ],
      'causal',
      /clock skew/,
      'causal:ClockCause',
    ],
  ])('%s', (_name, findings, type, cause, lastOnPath) => {
    const d = diagnose({ findings, hosts, now });
    expect(d.consistencyType).toBe(type);
    expect(d.rootCause).toMatch(cause);
    expect(d.path[d.path.length - 1]).toBe(lastOnPath);
    expect(d.path.slice(0, 5)).toEqual([
      'overall:Alert',
      'overall:Scope',
      'overall:Model',
      'overall:Types',
      `overall:${type[0]!.toUpperCase()}${type.slice(1)}`,
    ]);
    expect(d.next?.chart).toBe(type);
  });

  it('says none when everything measured is fine, and unknown when nothing could be measured', () => {
    expect(diagnose({ findings: [f('replication-lag', 'db-replica-1', 'ok')], hosts, now }).consistencyType).toBe(
      'none',
    );
    expect(diagnose({ findings: [f('topology', 'db-primary', 'unknown')], hosts, now })).toMatchObject({
      consistencyType: 'unknown',
      next: { node: 'Scope' },
    });
    expect(diagnose({ findings: [], hosts, now })).toMatchObject({
      consistencyType: 'unknown',
      path: ['overall:Alert', 'overall:Scope'],
    });
  });

  it('colours host nodes of the profile by their own findings, with the measured value in the label', () => {
    const d = diagnose({
      findings: [
        f('replication-lag', 'db-replica-2', 'critical', 'behind; 42.00 s, 9000 bytes behind'),
        f('replication-lag', 'db-replica-1', 'ok', 'caught up'),
      ],
      hosts,
      now,
    });
    expect(d.charts.eventual.Host2).toMatchObject({
      state: 'critical',
      values: ['behind; 42.00 s, 9000 bytes behind'],
    });
    expect(d.charts.eventual.Host1?.state).toBe('ok');
    expect(d.charts.eventual.Host0?.state).toBe('visited');
    expect(d.charts.eventual.Restore?.state).toBe('current');
    expect(d.charts.overall.Eventual?.state).toBe('critical');
  });

  it('tells host db-replica-1 from db-replica-10', () => {
    const many = [
      ...hosts,
      ...Array.from({ length: 8 }, (_, i) => ({ connection: `db-replica-${i + 3}`, role: 'replicas' })),
    ];
    const eventual = eventualChart(many);
    const host1 = eventual.nodes.find((n) => n.connection === 'db-replica-1')!;
    expect(bearsOn(host1, f('replication-lag', 'db-replica-10', 'critical'))).toBe(false);
    expect(bearsOn(host1, f('replication-lag', 'db-replica-1', 'critical'))).toBe(true);
    expect(bearsOn(host1, f('topology', 'db-replica-1/timeline', 'warning'))).toBe(true);
    expect(
      diagnose({ findings: [f('replication-lag', 'db-replica-10', 'critical')], hosts: many, now }).charts.eventual
        .Host1?.state,
    ).toBe('visited');
  });

  it('times escalation from the incident opening, with handles from settings only', () => {
    const d = diagnose({
      findings: [f('locks', 'db-primary', 'critical')],
      hosts,
      now,
      openedAt: '2026-11-25T10:28:00.000Z',
      contacts: { strong: '@db-oncall' },
    });
    expect(d.escalation).toEqual({
      consistencyType: 'strong',
      limitMinutes: 10,
      elapsedMinutes: 12,
      due: true,
      contact: '@db-oncall',
    });
    expect(diagnose({ findings: [f('replication-lag', 'x', 'warning')], hosts, now }).escalation).toMatchObject({
      limitMinutes: 30,
      elapsedMinutes: null,
      due: false,
      contact: null,
    });
  });

  it('is deterministic', () => {
    const findings = [f('replication-lag', 'db-replica-1', 'warning'), f('locks', 'db-primary', 'warning')];
    expect(diagnose({ findings, hosts, now })).toEqual(diagnose({ findings: [...findings].reverse(), hosts, now }));
  });
});

describe('the next step names the runbook cell to run', () => {
  // A runbook: markdown, a topology + lag probe cell, a SQL check, a table-drift cell, plain SQL.
  const cells = (ran: number[]) =>
    runbookSteps([
      { index: 0, language: 'markdown', source: '# Orders', ran: false },
      {
        index: 1,
        language: 'cnprobe',
        source: 'topology on=all\nreplication-lag on=replicas # lag',
        ran: ran.includes(1),
      },
      { index: 2, language: 'sql', source: '-- @expect empty\nSELECT 1 WHERE false', ran: ran.includes(2) },
      {
        index: 3,
        language: 'cnprobe',
        source: 'table-drift table=orders key=id source=primary target=replicas',
        ran: ran.includes(3),
      },
      { index: 4, language: 'sql', source: 'SELECT count(*) FROM orders', ran: ran.includes(4) },
    ]);

  it('reads which probes each cell holds', () => {
    expect(cells([]).map((s) => [s.index, s.probes])).toEqual([
      [1, ['topology', 'replication-lag']],
      [2, ['sql-check']],
      [3, ['table-drift']],
      [4, []],
    ]);
  });

  it.each([
    ['nothing ran: the cell that scopes with topology', [], [], 'topology', 1],
    [
      'all fine so far: the unrun table-drift cell',
      [f('replication-lag', 'db-replica-1', 'ok')],
      [1, 2],
      'table-drift',
      3,
    ],
    [
      "all fine, drift already ran: the runbook's next unrun step",
      [f('replication-lag', 'db-replica-1', 'ok')],
      [1, 2, 3],
      'table-drift',
      4,
    ],
    ['a probe could not measure: run its cell again', [f('topology', 'db-primary', 'unknown')], [1], 'topology', 1],
    [
      'replay paused: run the lag probe again once resumed',
      [f('replication-lag', 'db-replica-2', 'critical', 'behind', { replayPaused: true })],
      [1],
      'replication-lag',
      1,
    ],
    [
      'an integrity check failed: its SQL cell',
      [f('sql-check', 'db-primary', 'critical', 'cell 3: expected no rows, got 3')],
      [1, 2],
      'sql-check',
      2,
    ],
  ])('%s', (_name, findings, ran, probe, cell) => {
    const next = diagnose({ findings, hosts, now, steps: cells(ran) }).next;
    expect(next).toMatchObject({ probe, cell });
  });

  it('names no cell when the runbook has none for the step', () => {
    expect(
      diagnose({
        findings: [f('clock-skew', 'db-replica-1', 'critical', '+3000 ms')],
        hosts,
        now,
        steps: cells([1, 2, 3, 4]),
      }).next,
    ).toMatchObject({ probe: 'clock-skew', cell: null });
    expect(diagnose({ findings: [], hosts, now }).next).toMatchObject({ probe: 'topology', cell: null });
  });
});

describe('mermaid text', () => {
  it('renders the eventual chart with states as classes (snapshot)', () => {
    const d = diagnose({
      findings: [f('replication-lag', 'db-replica-2', 'critical', 'behind; 42.00 s', { replayPaused: true })],
      hosts,
      now,
    });
    expect(chartToMermaid(eventualChart(hosts), d.charts.eventual)).toMatchSnapshot();
  });

  it('makes hostile names inert in labels', () => {
    const hostile = [{ connection: '<img src=x onerror=alert(1)>"]-->X', role: '`#evil`' }];
    const d = diagnose({
      findings: [f('replication-lag', hostile[0]!.connection, 'critical', 'a "quoted" --> <b>value</b> #1')],
      hosts: hostile,
      now,
    });
    const text = chartToMermaid(eventualChart(hostile), d.charts.eventual);
    const hostLine = text.split('\n').find((l) => l.trim().startsWith('Host0')) ?? '';
    expect(hostLine).not.toMatch(/<img|"\]|-->|<b>|`/);
    expect(hostLine).toContain('#lt;img src=x onerror=alert(1)#gt;#quot;]--#gt;X');
    expect(mermaidText('a#b&c')).toBe('a#35;b#38;c');
  });
});
