import { describe, expect, it } from 'vitest';
import { senderOf } from '../../src/core/probes/catalog/replicationLag';
import { parseDirectives } from '../../src/core/probes/directive';
import { checkProbeCell } from '../../src/core/probes/execute';
import { expectationFindings } from '../../src/core/probes/expect';
import { findingsOutput, readFindingsOutput, renderFindingsMarkdown } from '../../src/core/probes/render';
import type { Finding } from '../../src/core/probes/types';
import { selectRun } from '../helpers/targetRun';

describe('the cnprobe language', () => {
  it('reads directives, quoted values and comments', () => {
    const { directives, problems } = parseDirectives(
      '# lag first\nreplication-lag on=replicas warn=500ms  # inline\n\nrow-counts tables="orders,order_items" on=\'all\'',
    );
    expect(problems).toEqual([]);
    expect(directives.map((d) => [d.name, d.line, d.args.map((a) => `${a.key}=${a.value}`)])).toEqual([
      ['replication-lag', 2, ['on=replicas', 'warn=500ms']],
      ['row-counts', 4, ['tables=orders,order_items', 'on=all']],
    ]);
  });

  it('types values and fills defaults', () => {
    const { directives, problems } = checkProbeCell('replication-lag on=replicas warn=500ms critical=2m marker=yes');
    expect(problems).toEqual([]);
    expect(directives[0]?.args).toMatchObject({
      on: ['replicas'],
      warn: 500,
      critical: 120_000,
      marker: true,
      primary: ['primary'],
      timeout: 60_000,
    });
    expect(
      checkProbeCell('orphans child=order_items.order_id parent=shop.orders.id').directives[0]?.args,
    ).toMatchObject({
      child: { table: 'order_items', column: 'order_id' },
      parent: { table: 'shop.orders', column: 'id' },
    });
  });

  it('names the line, the column and a suggestion for every mistake', () => {
    const { problems } = checkProbeCell(
      [
        'replication-lga on=replicas',
        'replication-lag on=replicas wran=5s',
        'replication-lag warn=soon',
        'orphans child=order_items',
        'row-counts on=all',
        'locks on="primary',
        'topology primary',
      ].join('\n'),
    );
    expect(problems).toEqual([
      { line: 1, column: 1, message: "unknown probe 'replication-lga' (did you mean 'replication-lag'?)" },
      {
        line: 2,
        column: 29,
        message: expect.stringContaining("replication-lag has no key 'wran' (did you mean 'warn'?)"),
      },
      { line: 3, column: 22, message: "warn: expected a duration like 500ms, 5s or 2m, found 'soon'" },
      { line: 4, column: 1, message: expect.stringContaining('orphans needs parent=') },
      { line: 4, column: 15, message: "child: expected table.column, found 'order_items'" },
      { line: 5, column: 1, message: expect.stringContaining('row-counts needs tables=') },
      { line: 6, column: 10, message: 'unclosed double quote' },
      { line: 7, column: 10, message: "expected key=value, found 'primary'" },
    ]);
  });
});

const run = (connection: string, rows: (string | null)[][]) =>
  selectRun(
    connection,
    [
      { name: 'id', type: 'int4', typeOid: 23 },
      { name: 'diff', type: 'numeric', typeOid: 1700 },
    ],
    rows,
  );

describe('SQL checks (-- @expect)', () => {
  it('turns offending rows into a critical finding with evidence, and passes quietly otherwise', () => {
    const [bad, good] = expectationFindings({ kind: 'empty' }, [run('p', [['17', '10.00']]), run('r', [])], 'cell 3');
    expect(bad).toMatchObject({
      probe: 'sql-check',
      target: 'p',
      severity: 'critical',
      summary: 'cell 3: expected no rows, got 1',
      evidence: [{ id: '17', diff: '10.00' }],
    });
    expect(good).toMatchObject({ severity: 'ok' });
    expect(expectationFindings({ kind: 'value', op: '<', value: 5 }, [run('p', [['7', null]])], 'c')[0]).toMatchObject({
      severity: 'critical',
      metrics: { value: 7 },
    });
    expect(expectationFindings({ kind: 'rows', op: '>=', value: 1 }, [run('p', [['1', '0']])], 'c')[0]?.severity).toBe(
      'ok',
    );
    expect(
      expectationFindings({ kind: 'value', op: '<', value: 5 }, [run('p', [[null, null]])], 'c')[0]?.severity,
    ).toBe('unknown');
  });

  it('renders findings with their severity, escaped', () => {
    expect(
      renderFindingsMarkdown([
        { probe: 'x' as Finding['probe'], target: '<r1>', severity: 'critical', summary: 'a|b', metrics: {} },
      ]),
    ).toBe('- 🔴 **x** &lt;r1&gt;: a\\|b');
  });
});

describe('findings stored in an output', () => {
  const finding: Finding = {
    probe: 'topology',
    target: 'db1',
    connection: 'db1',
    severity: 'ok',
    summary: 'primary',
    metrics: { writable: true },
  };

  it('reads back what findingsOutput stored', () => {
    const text = findingsOutput([finding]).items[0]?.text ?? '';
    expect(readFindingsOutput(text)).toEqual([finding]);
  });

  it('drops what a hand edit broke instead of failing the map', () => {
    expect(readFindingsOutput('{ not json')).toEqual([]);
    expect(readFindingsOutput('{"findings": 3}')).toEqual([]);
    expect(
      readFindingsOutput(
        JSON.stringify({ findings: [finding, { ...finding, severity: 'fine' }, { probe: 'x' }, null] }),
      ),
    ).toEqual([finding]);
  });
});

describe('which WAL sender serves a standby', () => {
  const senders = [
    { application_name: 'east', replay_lsn: '0/3000060', state: 'streaming' },
    { application_name: 'west', replay_lsn: '0/3000060', state: 'streaming' },
    { application_name: 'walreceiver', replay_lsn: '0/2FFFF00', state: 'streaming' },
  ];
  const standby = (conninfo: string | null, cluster = '', replay = '0/3000060') => ({
    receiver_conninfo: conninfo,
    cluster_name: cluster,
    replay_lsn: replay,
  });

  it('goes by the name the WAL receiver connects with, then by cluster_name', () => {
    expect(senderOf(standby('user=postgres host=10.0.0.1 application_name=west'), senders)?.application_name).toBe(
      'west',
    );
    expect(senderOf(standby("user=postgres application_name='east' port=5432"), senders)?.application_name).toBe(
      'east',
    );
    expect(senderOf(standby(null, 'west'), senders)?.application_name).toBe('west');
  });

  it('falls back to the replay position, then to the only sender, else none', () => {
    expect(senderOf(standby(null, '', '0/2FFFF00'), senders)?.application_name).toBe('walreceiver');
    expect(senderOf(standby(null, '', '0/1'), senders)).toBeUndefined();
    expect(senderOf(standby(null, '', '0/1'), senders.slice(0, 1))?.application_name).toBe('east');
  });
});
