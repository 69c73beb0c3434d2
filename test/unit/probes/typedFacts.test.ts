import { describe, expect, expectTypeOf, it } from 'vitest';
import { bearsOn, diagnose, eventualChart } from '../../../src/core/diagnosis';
import { probeCellWriteRoles, probeCellWrites } from '../../../src/core/probes/execute';
import { findingsOutput, readFindingsOutput } from '../../../src/core/probes/render';
import type { ArgsOf, ColumnRef, Finding } from '../../../src/core/probes/types';

describe('defineProbe types arguments from the parameter specs', () => {
  it('gives each type its value, present when defaulted or required', () => {
    type Args = ArgsOf<{
      on: { type: 'roles'; doc: ''; default: 'replicas' };
      warn: { type: 'duration'; doc: ''; default: '5s' };
      routing: { type: 'enum'; doc: ''; values: readonly ['sticky', 'hash']; default: 'hash' };
      child: { type: 'column'; doc: ''; required: true };
      weights: { type: 'list'; doc: '' };
      marker: { type: 'bool'; doc: '' };
    }>;
    expectTypeOf<Args>().toEqualTypeOf<
      { on: string[]; warn: number; routing: 'sticky' | 'hash'; child: ColumnRef } & {
        weights?: string[];
        marker?: boolean;
      }
    >();
  });
});

describe('what a probe cell writes to', () => {
  it('gathers the roles each directive declares, once each, and none for a cell that only reads', () => {
    const cell = [
      'topology on=all',
      'replication-lag on=replicas marker=yes primary=east',
      'session-guarantees primary=west replicas=replicas',
      'replication-lag marker=yes primary=east',
    ].join('\n');
    expect(probeCellWriteRoles(cell)).toEqual(['east', 'west']);
    expect(probeCellWrites(cell)).toBe(true);
    expect(probeCellWriteRoles('replication-lag on=replicas\nlocks')).toEqual([]);
    expect(probeCellWrites('replication-lag on=replicas')).toBe(false);
  });
});

const hosts = [
  { connection: 'db-primary', role: 'primary' },
  { connection: 'db-replica-1', role: 'replicas' },
];
const now = '2026-12-01T10:00:00.000Z';
const finding = (f: Partial<Finding> & Pick<Finding, 'probe' | 'target' | 'severity'>): Finding => ({
  summary: `${f.probe} ${f.severity}`,
  metrics: {},
  ...f,
});

describe('the diagnosis reads typed facts, not labels', () => {
  it('takes split brain and the routing from the metrics', () => {
    const split = finding({
      probe: 'topology',
      target: 'two nodes',
      severity: 'critical',
      metrics: { splitBrain: true },
    });
    expect(diagnose({ findings: [split], hosts, now }).path.at(-1)).toBe('strong:Partition');
    const summaryOnly = finding({ probe: 'topology', target: 'x', severity: 'critical', summary: 'split brain: ...' });
    // Without the typed fact the label is not read: a topology problem that is neither split brain nor a
    // cluster state is a standby not streaming, never a partition (nor, since issue 17, integrity).
    expect(diagnose({ findings: [summaryOnly], hosts, now }).path.at(-1)).toBe('eventual:Network');
    const session = finding({
      probe: 'session-guarantees',
      target: 'routing=sticky over a,b read-your-writes',
      severity: 'critical',
      metrics: { routing: 'hash' },
    });
    expect(diagnose({ findings: [session], hosts, now })).toMatchObject({
      rootCause: expect.stringMatching(/through hash routing/),
      path: expect.arrayContaining(['session:Hash']),
    });
  });

  it('puts a finding on the host node of its connection, whatever its label', () => {
    const host1 = eventualChart(hosts).nodes.find((n) => n.connection === 'db-replica-1')!;
    const labelled = finding({
      probe: 'replication-lag',
      target: 'replica one',
      connection: 'db-replica-1',
      severity: 'ok',
    });
    expect(bearsOn(host1, labelled)).toBe(true);
    expect(bearsOn(host1, finding({ probe: 'replication-lag', target: 'db-replica-1', severity: 'ok' }))).toBe(false);
  });
});

describe('findings saved before they carried typed facts', () => {
  // As version 1 stored them: facts only in the labels.
  const legacy: Finding[] = [
    finding({
      probe: 'topology',
      target: 'db-primary,db-replica-1',
      severity: 'critical',
      summary: 'split brain: 2 writable nodes',
    }),
    finding({ probe: 'topology', target: 'db-replica-1', severity: 'ok', summary: 'primary (writable), timeline 2' }),
    finding({ probe: 'replication-lag', target: 'db-replica-1', severity: 'critical', summary: 'not a standby' }),
    finding({ probe: 'row-counts', target: 'db-replica-1/orders', severity: 'unknown', summary: 'could not measure' }),
    finding({ probe: 'session-guarantees', target: 'routing=weighted over r1 monotonic-reads', severity: 'warning' }),
  ];
  const version1 = JSON.stringify({ version: 1, findings: legacy });

  it('get the typed fields their labels held, in one place when read', () => {
    const read = readFindingsOutput(version1);
    expect(read.map((f) => [f.connection, f.metrics.splitBrain, f.metrics.routing])).toEqual([
      ['db-primary,db-replica-1', true, undefined],
      ['db-replica-1', undefined, undefined],
      ['db-replica-1', undefined, undefined],
      ['db-replica-1', undefined, undefined],
      ['routing=weighted over r1 monotonic-reads', undefined, 'weighted'],
    ]);
  });

  it('diagnose as the same findings made today do', () => {
    const today: Finding[] = [
      { ...legacy[0]!, metrics: { splitBrain: true } },
      { ...legacy[1]!, connection: 'db-replica-1' },
      { ...legacy[2]!, connection: 'db-replica-1' },
      { ...legacy[3]!, connection: 'db-replica-1' },
      { ...legacy[4]!, metrics: { routing: 'weighted' } },
    ];
    const stored = readFindingsOutput(findingsOutput(today).items[0]?.text ?? '');
    expect(stored).toEqual(today);
    const old = diagnose({ findings: readFindingsOutput(version1), hosts, now });
    const current = diagnose({ findings: today, hosts, now });
    expect(old.rootCause).toBe(current.rootCause);
    expect(old.path).toEqual(current.path);
    const states = (d: typeof old) =>
      Object.fromEntries(Object.entries(d.charts).map(([id, nodes]) => [id, Object.values(nodes).map((n) => n.state)]));
    expect(states(old)).toEqual(states(current));
    expect(old.rootCause).toMatch(/^split brain/);
  });

  it("read table-drift's old metric names as the engine's", () => {
    const old = finding({ probe: 'table-drift', target: 'p → r: orders', severity: 'critical' });
    const metrics = { missing: 4, extra: 1, different: 2, inFlight: 0, keysCompared: 12001, recheck: 'independent' };
    for (const version of [1, 2]) {
      const [read] = readFindingsOutput(JSON.stringify({ version, findings: [{ ...old, metrics }] }));
      expect(read?.metrics).toEqual({
        missingInTarget: 4,
        missingInSource: 1,
        changed: 2,
        inFlight: 0,
        keysCompared: 12001,
        recheck: 'independent',
      });
    }
    const current = { ...old, metrics: { missingInTarget: 1, missingInSource: 0, changed: 0 } };
    expect(readFindingsOutput(findingsOutput([current]).items[0]?.text ?? '')).toEqual([current]);
  });

  it('drops a finding of a probe this version does not know', () => {
    const text = JSON.stringify({ version: 2, findings: [{ ...legacy[1], probe: 'quantum-entanglement' }] });
    expect(readFindingsOutput(text)).toEqual([]);
  });
});
