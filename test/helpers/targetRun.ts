import type { ColumnInfo } from '../../src/core/sql/client';
import type { Provenance, TargetRun } from '../../src/core/sql/payload';

/**
 * One connection's run of a single SELECT, as a SQL cell stores it. The provenance is a stand-in (only its
 * connection and row count are real) unless the test gives the fields it is about.
 */
export function selectRun(
  connection: string,
  columns: ColumnInfo[],
  rows: (string | null)[][],
  options: { hash?: string; provenance?: Partial<Provenance> } = {},
): TargetRun {
  return {
    connection,
    provenance: {
      connection,
      host: 'h',
      port: 1,
      database: 'd',
      user: 'u',
      startedAt: '',
      finishedAt: '',
      durationMs: 1,
      rowCount: rows.length,
      osUser: 'me',
      readOnly: true,
      ...options.provenance,
    },
    statements: [
      { command: 'SELECT', columns, rows, rowCount: rows.length, truncated: false, hash: options.hash ?? '' },
    ],
  };
}
