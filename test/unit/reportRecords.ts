import { parseNotebook, printNotebook } from '../../src/core/format';
import type { Cell, Notebook } from '../../src/core/format/model';
import { findingsOutput } from '../../src/core/probes/render';
import type { Finding, ProbeName } from '../../src/core/probes/types';
import { errorOutput, resultOutput } from '../../src/core/sql/outputs';
import { compareRuns, type Provenance, type TargetRun } from '../../src/core/sql/payload';

/**
 * Records as `cnbook run` writes them, made with the same output builders, printed and parsed back, so the
 * report reads exactly what a file holds. The integration test exports one made by a real run as well.
 */
export const HOSTILE = [
  '<script>window.pwned=1</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg onload=alert(1)>',
  ']]>',
  '-->',
] as const;

export function provenance(connection: string, startedAt: string, extra: Partial<Provenance> = {}): Provenance {
  return {
    connection,
    host: '10.0.0.5',
    port: 5432,
    database: 'shop',
    user: 'oncall',
    serverVersion: '15.8',
    inRecovery: false,
    walLsn: '0/3000148',
    backendPid: 4711,
    startedAt,
    finishedAt: new Date(Date.parse(startedAt) + 25).toISOString(),
    durationMs: 25,
    rowCount: 1,
    osUser: 'alice',
    readOnly: true,
    ...extra,
  };
}

const COLUMN_TYPES: Record<string, string> = { total: 'numeric', created_at: 'timestamptz' };

export function run(
  connection: string,
  role: string,
  startedAt: string,
  columns: string[],
  rows: (string | null)[][],
  extra: Partial<Provenance> = {},
): TargetRun {
  return {
    connection,
    role,
    provenance: provenance(connection, startedAt, { rowCount: rows.length, ...extra }),
    statements: [
      {
        command: 'SELECT',
        columns: columns.map((name) => ({ name, type: COLUMN_TYPES[name] ?? 'text', typeOid: 25 })),
        rows,
        rowCount: rows.length,
        truncated: false,
        // Not a real sha256: the report only shows it, and compareRuns needs rows that differ to hash apart.
        hash: `sha256:${JSON.stringify(rows)}`,
      },
    ],
  };
}

const at = (minute: number) => new Date(Date.UTC(2026, 10, 25, 10, minute, 0)).getTime();

export function sqlCell(source: string, runs: TargetRun[], minute: number, findings: Finding[] = []): Cell {
  return {
    kind: 'code',
    language: 'sql',
    source,
    outputs: [
      resultOutput({ version: 1, results: runs, ...(compareRuns(runs) ? { comparison: compareRuns(runs) } : {}) }),
      ...(findings.length > 0 ? [findingsOutput(findings)] : []),
    ],
    execution: {
      executionOrder: minute,
      success: !runs.some((r) => r.error),
      startTime: at(minute),
      endTime: at(minute) + 40,
    },
  };
}

export function probeCell(source: string, findings: Finding[], minute: number): Cell {
  return {
    kind: 'code',
    language: 'cnprobe',
    source,
    outputs: [findingsOutput(findings)],
    execution: { executionOrder: minute, success: true, startTime: at(minute), endTime: at(minute) + 200 },
  };
}

export function failedCell(source: string, message: string, minute: number): Cell {
  return {
    kind: 'code',
    language: 'sql',
    source,
    outputs: [errorOutput('Cell error', message)],
    execution: { executionOrder: minute, success: false, startTime: at(minute), endTime: at(minute) + 1 },
  };
}

export function finding(
  probe: ProbeName,
  target: string,
  severity: Finding['severity'],
  summary: string,
  metrics: Finding['metrics'] = {},
  connection?: string,
): Finding {
  return { probe, target, ...(connection !== undefined ? { connection } : {}), severity, summary, metrics };
}

/** Print and parse: what a saved file gives back. */
export function saved(notebook: Notebook): Notebook {
  return parseNotebook(printNotebook(notebook));
}

/** An orders incident: replica paused (warning), totals broken (critical), one probe that could not measure. */
export function ordersRecord(): Notebook {
  const t = (minute: number) => new Date(at(minute)).toISOString();
  return saved({
    frontMatter: {
      cnbook: 1,
      title: 'Orders disagree with their items',
      roles: ['primary', 'replicas'],
      incident: {
        id: 'INC-4711',
        severity: 'SEV2',
        opened: '2026-11-25T09:45:00.000Z',
        responders: ['alice', 'bob'],
        commander: 'carol',
      },
    },
    cells: [
      { kind: 'markdown', source: '# Orders disagree with their items\n\nUse this when totals are off.' },
      { kind: 'markdown', source: '## 0. Is replication healthy?' },
      probeCell(
        'topology on=all\nreplication-lag on=replicas',
        [
          finding(
            'topology',
            'db-primary',
            'ok',
            'primary (writable), timeline 1',
            { inRecovery: false },
            'db-primary',
          ),
          finding(
            'replication-lag',
            'db-replica-1',
            'warning',
            'behind, replay PAUSED',
            { replayPaused: true },
            'db-replica-1',
          ),
          // A finding about several connections (or none): its label is not a host of the map.
          finding('replication-lag', 'line 2', 'unknown', 'could not measure: permission denied', {}),
        ],
        1,
      ),
      { kind: 'markdown', source: '## 1. Stored totals' },
      sqlCell(
        '-- @on primary\n-- @expect empty\nSELECT id, total, created_at FROM orders WHERE broken',
        [
          run(
            'db-primary',
            'primary',
            t(3),
            ['id', 'total', 'created_at'],
            [
              // The broken orders' own times: the impact window, hours before anyone ran a cell.
              ['17', '10.50', '2026-11-25 06:10:00+00'],
              ['256', null, '2026-11-25 08:02:30.25+00'],
            ],
          ),
        ],
        3,
        [finding('sql-check', 'db-primary', 'critical', 'cell 5: expected no rows, got 2')],
      ),
      { kind: 'markdown', source: '## 2. Newest orders everywhere' },
      sqlCell(
        '-- @on all\nSELECT id, status FROM orders ORDER BY id DESC LIMIT 3',
        [
          run(
            'db-primary',
            'primary',
            t(5),
            ['id', 'status'],
            [
              ['1000', 'refunded'],
              ['999', 'refunded'],
            ],
          ),
          run(
            'db-replica-1',
            'replicas',
            t(5),
            ['id', 'status'],
            [
              ['1000', 'paid'],
              ['999', 'paid'],
            ],
            {
              inRecovery: true,
            },
          ),
        ],
        5,
      ),
      failedCell('-- @on nowhere\nSELECT 1', "unknown role 'nowhere'", 6),
      { kind: 'code', language: 'sql', source: 'SELECT count(*) FROM order_items' },
    ],
  });
}
