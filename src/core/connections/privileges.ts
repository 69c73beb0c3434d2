/**
 * The read-only guard stops what a statement's text and the transaction can show; a function the role may
 * call still runs with the role's rights. The real boundary is a role with no more than it needs
 * (pg_monitor, pg_read_all_data): this says when a connection logs in with more.
 */
import type { SqlSession } from '../sql/client';

export interface RolePrivileges {
  user: string;
  superuser: boolean;
  /** Members of these roles can run programs or touch files on the server, read-only or not. */
  executeServerProgram: boolean;
  writeServerFiles: boolean;
}

const PRIVILEGES_SQL = `SELECT current_user AS user, r.rolsuper AS superuser,
  pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER') AS execute_server_program,
  pg_has_role(current_user, 'pg_write_server_files', 'MEMBER') AS write_server_files
FROM pg_roles r WHERE r.rolname = current_user`;

/** Asks the server what the session's role may do (one read-only query). */
export async function readRolePrivileges(session: SqlSession, timeoutMs: number): Promise<RolePrivileges> {
  const outcome = await session.runTransaction([{ text: PRIVILEGES_SQL, values: [], offset: 0 }], {
    readOnly: true,
    statementTimeoutMs: timeoutMs,
    lockTimeoutMs: Math.min(1000, timeoutMs),
    maxRowsStored: 1,
    batchSize: 1,
  });
  const row = outcome.statements[0]?.rows[0] ?? [];
  return {
    user: row[0] ?? '',
    superuser: row[1] === 't',
    executeServerProgram: row[2] === 't',
    writeServerFiles: row[3] === 't',
  };
}

/** One sentence per privilege beyond what a runbook needs; empty for a least-privilege role. */
export function privilegeWarnings(connection: string, p: RolePrivileges): string[] {
  const advice = 'log in as a role with only pg_monitor and pg_read_all_data (see the README, "Safety")';
  if (p.superuser)
    return [`${connection} logs in as superuser ${p.user}: every function runs with full rights; ${advice}`];
  const extra = [
    p.executeServerProgram ? 'pg_execute_server_program (runs programs on the server)' : undefined,
    p.writeServerFiles ? 'pg_write_server_files (writes files on the server)' : undefined,
  ].filter((x) => x !== undefined);
  return extra.length === 0
    ? []
    : [`${connection} logs in as ${p.user}, a member of ${extra.join(' and ')}; ${advice}`];
}
