import { describe, expect, it } from 'vitest';
import { diagnose, runbookSteps } from '../../src/core/diagnosis';
import {
  cellForNode,
  diagnoseNotebook,
  diagnosedCells,
  incidentOpenedAt,
  profileHosts,
} from '../../src/core/diagnosis/notebook';
import type { Notebook } from '../../src/core/format/model';
import { findingsOutput, withLegacyFacts } from '../../src/core/probes/render';
import type { Finding, ProbeName } from '../../src/core/probes/types';
import { diagnosisRecordChange, updateDiagnosisRecord } from '../../src/core/record/diagnosisCell';
import { resultOutput } from '../../src/core/sql/outputs';

// Findings with their facts in their labels, given the typed fields those labels hold (withLegacyFacts).
const finding = (probe: ProbeName, target: string, severity: Finding['severity'], metrics = {}): Finding =>
  withLegacyFacts({ probe, target, severity, summary: `${probe} ${severity}`, metrics });
const hosts = [
  { connection: 'db-primary', role: 'primary' },
  { connection: 'db-replica-1', role: 'replicas' },
];
const now = '2026-11-25T10:40:00.000Z';
const paused = finding('replication-lag', 'db-replica-1', 'warning', { replayPaused: true });
const integrity = finding('sql-check', 'db-primary', 'critical');

function runbook(): Notebook {
  return {
    frontMatter: { cnbook: 1, incident: { opened: '2026-11-25T10:00:00.000Z' } },
    cells: [
      { kind: 'markdown', source: '# Triage' },
      {
        kind: 'code',
        language: 'cnprobe',
        source: 'replication-lag on=replicas',
        outputs: [findingsOutput([paused])],
        execution: { success: true },
      },
      { kind: 'code', language: 'sql', source: '-- @expect empty\nSELECT 1', outputs: [findingsOutput([integrity])] },
      { kind: 'code', language: 'cnprobe', source: 'topology on=all' },
    ],
  };
}

describe('diagnoseNotebook', () => {
  it('diagnoses every finding of every cell, with the steps and the incident of the notebook', () => {
    const cells = diagnosedCells(runbook());
    const viaNotebook = diagnoseNotebook({ frontMatter: runbook().frontMatter, cells, hosts, now });
    const direct = diagnose({
      findings: [paused, integrity],
      hosts,
      now,
      openedAt: '2026-11-25T10:00:00.000Z',
      steps: runbookSteps(cells),
    });
    expect(viaNotebook).toEqual(direct);
    expect(viaNotebook.escalation?.elapsedMinutes).toBe(40);
    expect(viaNotebook.evidence.map((f) => f.probe)).toEqual(['sql-check']);
  });

  it('reads which cells ran from their execution or outputs, and markdown cells never run', () => {
    const cells = diagnosedCells(runbook());
    expect(cells.map((c) => [c.language, c.ran, c.findings.length])).toEqual([
      ['markdown', false, 0],
      ['cnprobe', true, 1],
      ['sql', true, 1],
      ['cnprobe', false, 0],
    ]);
  });

  it('takes the findings of cells that just ran as given, and decodes the others from their outputs', () => {
    const fresh = finding('replication-lag', 'db-replica-1', 'ok');
    const cells = diagnosedCells(runbook(), new Map([[1, [fresh]]]));
    expect(cells[1]?.findings).toEqual([fresh]);
    expect(cells[2]?.findings).toEqual([integrity]);
  });

  it('finds no findings in result outputs or in an output edited into nonsense', () => {
    const notebook = runbook();
    const sql = notebook.cells[2];
    if (sql?.kind !== 'code') throw new Error('fixture');
    sql.outputs = [resultOutput({ version: 1, results: [] }), { items: [{ mime: findingsMime(), text: '{nope' }] }];
    expect(diagnosedCells(notebook)[2]?.findings).toEqual([]);
  });

  it.each([
    [{ incident: { opened: '2026-11-25T10:00:00Z' } }, '2026-11-25T10:00:00Z'],
    [{ incident: { opened: 'yesterday-ish' } }, undefined],
    [{ incident: { opened: 1764064800000 } }, undefined],
    [{ incident: 'INC-1' }, undefined],
    [{}, undefined],
  ])('incident.opened %j is %s', (frontMatter, expected) => {
    expect(incidentOpenedAt(frontMatter)).toBe(expected);
  });

  it('builds the host list from the profile bindings in role order', () => {
    const connection = (name: string) => ({ name }) as never;
    const bindings = new Map([
      ['primary', { role: 'primary', connections: [connection('p')] }],
      ['replicas', { role: 'replicas', connections: [connection('r1'), connection('r2')] }],
    ]);
    expect(profileHosts(bindings)).toEqual([
      { connection: 'p', role: 'primary' },
      { connection: 'r1', role: 'replicas' },
      { connection: 'r2', role: 'replicas' },
    ]);
  });

  it('names the cell whose findings decided a host node, and none for an unknown node', () => {
    const cells = diagnosedCells(runbook());
    const node = 'Host1';
    expect(cellForNode(cells, hosts, 'eventual', node)).toBe(1);
    expect(cellForNode(cells, hosts, 'eventual', 'NoSuchNode')).toBeUndefined();
  });
});

describe('the diagnosis record rule', () => {
  const diagnosisOf = (notebook: Notebook, at = now) =>
    diagnoseNotebook({ frontMatter: notebook.frontMatter, cells: diagnosedCells(notebook), hosts, now: at });

  it('adds nothing to a notebook without findings', () => {
    const notebook: Notebook = { frontMatter: { cnbook: 1 }, cells: [{ kind: 'markdown', source: 'x' }] };
    expect(diagnosisRecordChange(notebook.cells, diagnosisOf(notebook), hosts, false)).toEqual({ kind: 'unchanged' });
  });

  it('appends the diagnosis once, then leaves an unchanged conclusion alone, then replaces a changed one', () => {
    const notebook = runbook();
    updateDiagnosisRecord(notebook, diagnosisOf(notebook), hosts, true);
    expect(notebook.cells).toHaveLength(5);
    const written = notebook.cells[4];
    expect(written?.metadata?.cnbook).toBe('diagnosis');

    const later = diagnosisOf(notebook, '2026-11-25T11:00:00.000Z');
    expect(diagnosisRecordChange(notebook.cells, later, hosts, true)).toEqual({ kind: 'unchanged' });

    const code = notebook.cells[2];
    if (code?.kind !== 'code') throw new Error('fixture');
    code.outputs = [findingsOutput([finding('sql-check', 'db-primary', 'ok')])];
    notebook.cells[4] = { ...notebook.cells[4]!, layout: { blankLinesBefore: 2 } as never };
    updateDiagnosisRecord(notebook, diagnosisOf(notebook), hosts, true);
    expect(notebook.cells).toHaveLength(5);
    expect(notebook.cells[4]?.source).not.toEqual(written?.source);
    expect(notebook.cells[4]?.layout).toEqual({ blankLinesBefore: 2 });
  });
});

function findingsMime(): string {
  return findingsOutput([]).items[0]!.mime;
}
