import { describe, expect, it } from 'vitest';
import { readOnlyViolations } from '../../src/core/sql/readOnlyGuard';
import { bindParameters, splitStatements } from '../../src/core/sql/lexer';
import { checkRunbook } from '../../src/core/run/checkRunbook';
import { parseNotebook } from '../../src/core/format';

function violations(source: string, params: Record<string, string> = {}) {
  const statements = splitStatements(source).map((s) => ({ ...bindParameters(s.text, params), offset: s.offset }));
  return readOnlyViolations(source, statements);
}

const REFUSED: [string, string][] = [
  ['COMMIT; DELETE FROM victim', 'COMMIT'],
  ['ROLLBACK; DELETE FROM victim', 'ROLLBACK'],
  ['end; delete from victim', 'END'],
  ['Abort;\nINSERT INTO victim VALUES (1)', 'ABORT'],
  ['COMMIT AND CHAIN', 'COMMIT'],
  ['START TRANSACTION READ WRITE', 'START TRANSACTION'],
  ['BEGIN', 'BEGIN'],
  ['SAVEPOINT a', 'SAVEPOINT'],
  ["PREPARE TRANSACTION 'x'", 'PREPARE TRANSACTION'],
  ['SET TRANSACTION READ WRITE', 'SET TRANSACTION'],
  ['SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE', 'SET SESSION CHARACTERISTICS'],
  ['SET default_transaction_read_only = off', 'SET default_transaction_read_only'],
  ['set session "default_transaction_read_only" to off', 'SET default_transaction_read_only'],
  ['SET LOCAL transaction_read_only TO off', 'SET transaction_read_only'],
  ['RESET ALL', 'RESET ALL'],
  ['RESET default_transaction_read_only', 'RESET default_transaction_read_only'],
  ["SELECT set_config('transaction_read_only', 'off', true)", 'set_config()'],
  ["SELECT set_config('default_transaction_read_only', 'off', false); COMMIT", 'set_config()'],
  ["SELECT set_config(U&'\\0074ransaction_read_only', 'off', true)", 'set_config()'],
  ["SELECT set_config(E'\\x74ransaction_read_only', 'off', true)", 'set_config()'],
  ["SELECT set_config('transaction_' || 'read_only', 'off', true)", 'set_config()'],
  ["COPY (SELECT 1) TO PROGRAM 'touch /tmp/x'", 'COPY TO PROGRAM'],
  ["copy victim to '/tmp/victim.csv'", 'COPY with a server file'],
  ["COPY victim FROM PROGRAM 'id'", 'COPY FROM PROGRAM'],
  ['SELECT pg_terminate_backend(pid) FROM pg_stat_activity', 'pg_terminate_backend()'],
  ['SELECT pg_catalog.pg_cancel_backend (42)', 'pg_cancel_backend()'],
  ['SELECT "pg_terminate_backend"(42)', 'pg_terminate_backend()'],
  ['SELECT U&"\\0070g_terminate_backend"(42)', 'pg_terminate_backend()'],
  ['SELECT pg_terminate_backend/* hidden */(42)', 'pg_terminate_backend()'],
  ['SELECT * FROM (SELECT pg_reload_conf()) s', 'pg_reload_conf()'],
  ['SELECT pg_switch_wal()', 'pg_switch_wal()'],
  ['SELECT pg_promote()', 'pg_promote()'],
  ['SELECT pg_wal_replay_pause()', 'pg_wal_replay_pause()'],
  ["SELECT pg_create_physical_replication_slot('s')", 'pg_create_physical_replication_slot()'],
  ["SELECT pg_drop_replication_slot('s')", 'pg_drop_replication_slot()'],
  ["SELECT * FROM pg_logical_slot_get_changes('s', NULL, NULL)", 'pg_logical_slot_get_changes()'],
  ["SELECT lo_export(16384, '/tmp/x')", 'lo_export()'],
  ["SELECT dblink_exec('dbname=x', 'DELETE FROM victim')", 'dblink_exec()'],
  ["SELECT * FROM dblink('dbname=x', 'DELETE FROM victim RETURNING 1') AS t(a int)", 'dblink()'],
  ["SELECT pg_notify('c', 'x')", 'pg_notify()'],
  ['NOTIFY c', 'NOTIFY'],
  ['LISTEN c', 'LISTEN'],
  ['SELECT pg_advisory_lock(1)', 'pg_advisory_lock()'],
  ['SELECT pg_try_advisory_lock_shared(1)', 'pg_try_advisory_lock_shared()'],
  ['SELECT pg_stat_reset()', 'pg_stat_reset()'],
  ["SELECT pg_stat_reset_shared('bgwriter')", 'pg_stat_reset_shared()'],
  ["SELECT query_to_xml('SELECT pg_terminate_backend(1)', true, false, '')", 'query_to_xml()'],
  ['EXECUTE p(1)', 'EXECUTE'],
  ['EXPLAIN (ANALYZE) EXECUTE p', 'EXECUTE'],
  ['EXPLAIN ANALYZE SELECT pg_terminate_backend(1)', 'pg_terminate_backend()'],
  ['CHECKPOINT', 'CHECKPOINT'],
  ['ANALYZE victim', 'ANALYZE'],
  ["LOAD 'auto_explain'", 'LOAD'],
  ["ALTER SYSTEM SET work_mem = '1GB'", 'ALTER SYSTEM'],
  ['DISCARD ALL', 'DISCARD'],
];

const ALLOWED = [
  'SELECT 1',
  "SELECT 'COMMIT; DELETE FROM victim' AS text",
  'SELECT 1 -- COMMIT\n',
  '/* ROLLBACK; */ SELECT count(*) FROM victim',
  'SELECT $$pg_terminate_backend(1)$$',
  "SELECT set_config('search_path', 'public', true)",
  'SELECT pg_advisory_xact_lock(1)',
  'SELECT pid, pg_blocking_pids(pid) FROM pg_stat_activity',
  "SELECT * FROM pg_logical_slot_peek_changes('s', NULL, NULL)",
  'WITH x AS (SELECT 1) SELECT * FROM x',
  'EXPLAIN SELECT * FROM victim',
  'SET statement_timeout = 1000',
  "SET LOCAL search_path TO 'public'",
  'RESET statement_timeout',
  'COPY (SELECT 1) TO STDOUT',
  'SELECT "commit" FROM t',
  'SELECT pg_terminate_backend FROM t',
  'SHOW transaction_read_only',
  "DO $$ BEGIN RAISE NOTICE 'orders: %', (SELECT count(*) FROM pg_class); END $$",
  "DO LANGUAGE plpgsql $$ BEGIN RAISE EXCEPTION 'stop' USING HINT = 'h'; END $$",
];

describe('read-only guard: the statement text', () => {
  it.each(REFUSED)('refuses %s', (source, what) => {
    const found = violations(source);
    expect(found.map((v) => v.what)).toContain(what);
    expect(found[0]?.reason).toMatch(/transaction|read-only|outside|code|statistics|prepared/);
  });

  it.each(ALLOWED)('lets %s run', (source) => {
    expect(violations(source)).toEqual([]);
  });

  it('reads an identifier parameter as the server will: the function name it splices in', () => {
    expect(violations('SELECT :"f"(42)', { f: 'pg_terminate_backend' }).map((v) => v.what)).toEqual([
      'pg_terminate_backend()',
    ]);
  });

  it('names the line and column of each statement refused, in order', () => {
    const source = 'SELECT 1;\n  COMMIT;\nDELETE FROM victim;\nSELECT x, pg_cancel_backend(1) FROM t';
    expect(
      violations(source).map(({ what, line, column, statementIndex }) => [what, line, column, statementIndex]),
    ).toEqual([
      ['COMMIT', 2, 3, 1],
      ['pg_cancel_backend()', 4, 11, 3],
    ]);
  });
});

describe('cnbook check: what a run would refuse', () => {
  it('puts a read-only cell that commits at its file line, and lets a -- @write cell do it', () => {
    const text = [
      '---',
      'cnbook: 1',
      '---',
      '```sql',
      'SELECT 1;',
      'COMMIT;',
      '```',
      '',
      '```sql',
      '-- @write',
      'COMMIT;',
      '```',
      '',
    ].join('\n');
    const problems = checkRunbook(parseNotebook(text));
    expect(problems).toEqual([
      {
        line: 6,
        column: 1,
        message: expect.stringMatching(/^COMMIT ends or changes the read-only transaction .* -- @write\)$/),
      },
    ]);
  });
});
