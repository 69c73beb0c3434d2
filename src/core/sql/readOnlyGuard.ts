/**
 * The statement-text layer of the read-only guard: a cell without `-- @write` may not end or change its
 * transaction, nor call what acts outside it (a read-only transaction does not stop those). The session
 * (default_transaction_read_only) and the server's own answer after each statement are the other layers,
 * in the driver; each holds without the others.
 */
import type { BoundStatement } from './client';
import { sqlTokens, Token } from './tokens';

export type ReadOnlyViolationKind = 'transaction-control' | 'session-characteristics' | 'side-effect' | 'opaque-code';

export interface ReadOnlyViolation {
  kind: ReadOnlyViolationKind;
  /** What was found, as the server would read it: `COMMIT`, `pg_terminate_backend()`. */
  what: string;
  reason: string;
  statementIndex: number;
  /** 1-based, within the cell. */
  line: number;
  column: number;
}

type Rule = { kind: ReadOnlyViolationKind; reason: string };

const ENDS_TRANSACTION: Rule = {
  kind: 'transaction-control',
  reason: 'ends or changes the read-only transaction the cell runs in',
};
const READ_ONLY_SETTING: Rule = { kind: 'session-characteristics', reason: 'changes whether the session is read-only' };
const SET_CONFIG: Rule = {
  kind: 'session-characteristics',
  reason: 'may change whether the session is read-only (a read-only setting, or a name not written as a plain literal)',
};
const OUTSIDE: Rule = { kind: 'side-effect', reason: 'acts outside the transaction, so rolling back does not undo it' };
const OPAQUE: Rule = { kind: 'opaque-code', reason: 'runs code the guard cannot read before it runs' };

/** Statements refused by their first word. */
const LEADING_WORDS: Record<string, Rule> = {
  begin: ENDS_TRANSACTION,
  start: ENDS_TRANSACTION,
  commit: ENDS_TRANSACTION,
  end: ENDS_TRANSACTION,
  rollback: ENDS_TRANSACTION,
  abort: ENDS_TRANSACTION,
  savepoint: ENDS_TRANSACTION,
  release: ENDS_TRANSACTION,
  discard: READ_ONLY_SETTING,
  execute: { kind: 'opaque-code', reason: 'runs a statement prepared earlier, which the guard cannot read' },
  checkpoint: OUTSIDE,
  load: OUTSIDE,
  notify: OUTSIDE,
  listen: OUTSIDE,
  unlisten: OUTSIDE,
  analyze: { kind: 'side-effect', reason: 'updates statistics in place, which rolling back does not undo' },
  analyse: { kind: 'side-effect', reason: 'updates statistics in place, which rolling back does not undo' },
  vacuum: OUTSIDE,
  cluster: OUTSIDE,
  reindex: OUTSIDE,
};

const READ_ONLY_SETTINGS = new Set(['transaction_read_only', 'default_transaction_read_only']);

/** Functions refused wherever they are called, by exact name. */
const FUNCTIONS = new Set([
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_switch_wal',
  'pg_switch_xlog',
  'pg_promote',
  'pg_wal_replay_pause',
  'pg_wal_replay_resume',
  'pg_xlog_replay_pause',
  'pg_xlog_replay_resume',
  'pg_create_physical_replication_slot',
  'pg_create_logical_replication_slot',
  'pg_drop_replication_slot',
  'pg_copy_physical_replication_slot',
  'pg_copy_logical_replication_slot',
  'pg_replication_slot_advance',
  'pg_sync_replication_slots',
  'pg_logical_slot_get_changes',
  'pg_logical_slot_get_binary_changes',
  'pg_logical_emit_message',
  'pg_create_restore_point',
  'pg_backup_start',
  'pg_backup_stop',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_log_backend_memory_contexts',
  'pg_log_standby_snapshot',
  'pg_notify',
  'lo_import',
  'lo_export',
  'pg_advisory_lock',
  'pg_advisory_lock_shared',
  'pg_try_advisory_lock',
  'pg_try_advisory_lock_shared',
  'pg_truncate_visibility_map',
]);
/** Families refused by prefix: statistics resets, replication origins, dblink, adminpack's file writes. */
const FUNCTION_PREFIXES = [
  'pg_stat_reset',
  'pg_stat_statements_reset',
  'pg_replication_origin_',
  'dblink',
  'pg_file_',
  'pg_buffercache_evict',
];
/** Functions that run SQL given to them as text. */
const SQL_FROM_TEXT = new Set([
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'ts_stat',
  'pg_background_launch',
]);

/** Every violation in the statements of a read-only cell, in order; empty when the cell may run. */
export function readOnlyViolations(source: string, statements: readonly BoundStatement[]): ReadOnlyViolation[] {
  const violations: ReadOnlyViolation[] = [];
  statements.forEach((statement, statementIndex) => {
    const tokens = sqlTokens(statement.text);
    const found = [leadingViolation(tokens), ...functionViolations(tokens), ...doBlockViolations(tokens)].filter(
      (v) => v !== undefined,
    );
    for (const { rule, what, token } of found) {
      const at = positionOf(source, statement, token.offset);
      violations.push({ kind: rule.kind, reason: rule.reason, what, statementIndex, ...at });
    }
  });
  return violations;
}

interface Found {
  rule: Rule;
  what: string;
  token: Token;
}

function leadingViolation(tokens: Token[]): Found | undefined {
  const [first, second, third] = tokens;
  if (first?.kind !== 'word') return undefined;
  const what = [first, second].filter((t) => t?.kind === 'word').map((t) => t!.value.toUpperCase());
  if (first.value === 'prepare' && second?.value === 'transaction')
    return { rule: ENDS_TRANSACTION, what: 'PREPARE TRANSACTION', token: first };
  if (first.value === 'alter' && second?.value === 'system')
    return { rule: OUTSIDE, what: 'ALTER SYSTEM', token: first };
  if (first.value === 'set' || first.value === 'reset') return settingViolation(tokens, first);
  if (first.value === 'copy') return copyViolation(tokens, first);
  if (first.value === 'explain') return leadingViolation(explainedStatement(tokens));
  const rule = LEADING_WORDS[first.value];
  if (!rule) return undefined;
  const shown = third?.value === 'transaction' || second?.value === 'transaction' ? what : what.slice(0, 1);
  return { rule, what: shown.join(' '), token: first };
}

const EXPLAINABLE = new Set(['select', 'with', 'values', 'table', 'insert', 'update', 'delete', 'merge', 'execute']);

/** The statement an EXPLAIN (ANALYZE runs it) is about, past its options. */
function explainedStatement(tokens: Token[]): Token[] {
  let depth = 0;
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.value === '(') depth++;
    else if (t.value === ')') depth--;
    else if (depth === 0 && t.kind === 'word' && EXPLAINABLE.has(t.value)) return tokens.slice(i);
  }
  return [];
}

/** `SET TRANSACTION`, `SET SESSION CHARACTERISTICS`, `SET [SESSION|LOCAL] <read-only setting>`, `RESET ALL`. */
function settingViolation(tokens: Token[], first: Token): Found | undefined {
  const words = tokens.slice(1, 4).map((t) => t.value);
  const scoped = words[0] === 'session' || words[0] === 'local' ? words.slice(1) : words;
  const target = scoped[0] ?? '';
  const verb = first.value.toUpperCase();
  if (first.value === 'set' && target === 'transaction')
    return { rule: ENDS_TRANSACTION, what: 'SET TRANSACTION', token: first };
  if (first.value === 'set' && target === 'characteristics')
    return { rule: READ_ONLY_SETTING, what: 'SET SESSION CHARACTERISTICS', token: first };
  if (first.value === 'reset' && target === 'all') return { rule: READ_ONLY_SETTING, what: 'RESET ALL', token: first };
  if (READ_ONLY_SETTINGS.has(target)) return { rule: READ_ONLY_SETTING, what: `${verb} ${target}`, token: first };
  return undefined;
}

/** COPY to or from a server file or a program; COPY with STDOUT or STDIN stays on the connection. */
function copyViolation(tokens: Token[], first: Token): Found | undefined {
  let depth = 0;
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.value === '(') depth++;
    else if (t.value === ')') depth--;
    else if (depth === 0 && t.kind === 'word' && (t.value === 'to' || t.value === 'from')) {
      const next = tokens[i + 1];
      if (next?.kind === 'word' && (next.value === 'stdout' || next.value === 'stdin')) return undefined;
      const what = next?.value === 'program' ? `COPY ${t.value.toUpperCase()} PROGRAM` : 'COPY with a server file';
      return { rule: OUTSIDE, what, token: first };
    }
  }
  return undefined;
}

const READABLE_LANGUAGES = new Set(['plpgsql', 'sql']);

/**
 * A PL/pgSQL DO block is read by the same rules as a statement; what the guard cannot read is refused:
 * dynamic SQL (EXECUTE) and other languages. Findings inside the body point at the body.
 */
function doBlockViolations(tokens: Token[]): Found[] {
  const first = tokens[0];
  if (first?.kind !== 'word' || first.value !== 'do') return [];
  const language = tokens.findIndex((t) => t.kind === 'word' && t.value === 'language');
  const named = language >= 0 ? tokens[language + 1]?.value.toLowerCase() : 'plpgsql';
  if (!named || !READABLE_LANGUAGES.has(named))
    return [{ rule: OPAQUE, what: `DO in language ${named}`, token: first }];
  const body = tokens.find((t) => t.kind === 'string');
  if (!body) return [];
  const inner = sqlTokens(body.value);
  const found = [...functionViolations(inner), ...inner.flatMap((t, i) => bodyStatementViolation(inner, i) ?? [])];
  return found.map((f) => ({ ...f, token: body }));
}

function bodyStatementViolation(tokens: Token[], i: number): Found | undefined {
  const token = tokens[i]!;
  if (token.kind !== 'word') return undefined;
  if (token.value === 'execute') return { rule: OPAQUE, what: 'EXECUTE in a DO block', token };
  if (token.value === 'commit' || token.value === 'rollback')
    return { rule: ENDS_TRANSACTION, what: `${token.value.toUpperCase()} in a DO block`, token };
  if (token.value === 'set' || token.value === 'reset') return settingViolation(tokens.slice(i), token);
  if (token.value === 'copy') return copyViolation(tokens.slice(i), token);
  return undefined;
}

/** Calls anywhere in the statement: a name (schema-qualified or quoted alike) followed by `(`. */
function functionViolations(tokens: Token[]): Found[] {
  const found: Found[] = [];
  tokens.forEach((token, i) => {
    if ((token.kind !== 'word' && token.kind !== 'name') || tokens[i + 1]?.value !== '(') return;
    const name = token.value.toLowerCase();
    const what = `${name}()`;
    if (FUNCTIONS.has(name) || FUNCTION_PREFIXES.some((p) => name.startsWith(p)))
      found.push({ rule: OUTSIDE, what, token });
    else if (SQL_FROM_TEXT.has(name)) found.push({ rule: OPAQUE, what, token });
    else if (name === 'set_config' && !harmlessSetConfig(tokens, i + 2)) found.push({ rule: SET_CONFIG, what, token });
  });
  return found;
}

/** set_config('name', ...) with a plain literal name that is not one of the read-only settings. */
function harmlessSetConfig(tokens: Token[], argument: number): boolean {
  const [name, after] = [tokens[argument], tokens[argument + 1]];
  if (name?.kind !== 'string' || after?.value !== ',') return false;
  const plain = /^[A-Za-z_][\w.]*$/.test(name.value);
  return plain && !READ_ONLY_SETTINGS.has(name.value.toLowerCase());
}

function positionOf(source: string, statement: BoundStatement, offset: number): { line: number; column: number } {
  const startLine = source.slice(0, statement.offset).split('\n').length;
  const before = statement.text.slice(0, offset);
  const lines = before.split('\n');
  const lastLine = lines[lines.length - 1] ?? '';
  if (lines.length > 1) return { line: startLine + lines.length - 1, column: lastLine.length + 1 };
  const statementColumn = statement.offset - source.lastIndexOf('\n', statement.offset - 1);
  return { line: startLine, column: statementColumn + lastLine.length };
}

/** One line a violation, for a message: `line 2, column 1: COMMIT ends or changes ...`. */
export function describeViolation(v: ReadOnlyViolation): string {
  return `line ${v.line}, column ${v.column}: ${v.what} ${v.reason}`;
}
