import type { ResolvedConnection } from '../core/connections/model';
import { SqlError } from '../core/sql/errors';

interface PgLikeError extends Error {
  code?: string;
  detail?: string;
  hint?: string;
  position?: string;
  where?: string;
  errno?: number;
  syscall?: string;
}

const CONNECT_HINTS: Record<string, string> = {
  ECONNREFUSED: 'connection refused: is the server running and listening on that address and port?',
  ENOTFOUND: 'host name not found (DNS)',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'timed out at the network level',
  ECONNRESET: 'the server closed the connection',
  ENOENT: 'no Unix socket at that path: is the server running?',
};

/** Turns a failure to open a session into a message that names the connection and what to do. */
export function connectError(error: unknown, conn: ResolvedConnection, timeoutMs: number): SqlError {
  const e = error as PgLikeError;
  const where = `${conn.name} (${conn.user}@${conn.host}:${conn.port}/${conn.database})`;
  if (e.code === '28P01' || e.code === '28000') {
    const hint = loginHint(conn);
    return new SqlError({
      kind: 'connection',
      sqlstate: e.code,
      message: `could not log in to ${where}: ${e.message}`,
      hint,
    });
  }
  if (/timeout/i.test(e.message ?? '')) {
    return new SqlError({
      kind: 'connection',
      message: `could not connect to ${where}: no answer within ${timeoutMs} ms (connect timeout)`,
    });
  }
  const reason = (e.code && CONNECT_HINTS[e.code]) ?? e.message;
  return new SqlError({
    kind: 'connection',
    sqlstate: isSqlState(e.code) ? e.code : undefined,
    message: `could not connect to ${where}: ${reason}`,
  });
}

/** Where the password came from, naming the pgpass file actually read (PGPASSFILE when set). */
function loginHint(conn: ResolvedConnection): string {
  const pgpass = conn.pgpassFile ?? '~/.pgpass';
  if (conn.passwordSource === 'none')
    return `No password was found: add one to ${pgpass} (mode 0600) or set PGPASSWORD.`;
  const source =
    conn.passwordSource === 'pgpass'
      ? pgpass
      : conn.passwordSource === 'environment'
        ? 'PGPASSWORD'
        : 'the stored secret';
  return `The password came from ${source}; check it there.`;
}

/** Maps an error raised while a statement ran; `cancelled`/`timedOut` say whether we asked for the cancel. */
export function statementError(
  error: unknown,
  conn: ResolvedConnection,
  why: { cancelled: boolean; timedOutMs?: number },
): SqlError {
  const e = error as PgLikeError;
  if (!isSqlState(e.code)) {
    return new SqlError({
      kind: 'connection',
      message: `lost the connection to ${conn.name} (${conn.host}:${conn.port}) during the query: ${e.message}`,
    });
  }
  const fields = {
    sqlstate: e.code,
    message: e.message,
    detail: e.detail,
    hint: e.hint,
    position: e.position ? Number(e.position) : undefined,
    where: e.where,
  };
  if (e.code === '57014' && why.timedOutMs !== undefined) {
    return new SqlError({
      ...fields,
      kind: 'timeout',
      message: `statement timed out after ${why.timedOutMs} ms on ${conn.name} and was cancelled on the server`,
    });
  }
  if (e.code === '57014' && why.cancelled)
    return new SqlError({ ...fields, kind: 'cancelled', message: `cancelled on ${conn.name}: ${e.message}` });
  if (e.code === '57014') return new SqlError({ ...fields, kind: 'timeout' });
  if (e.code === '55P03') return new SqlError({ ...fields, kind: 'timeout' });
  if (e.code === '25006') {
    return new SqlError({
      ...fields,
      kind: 'refused',
      hint: 'cnbook runs SQL read-only. A cell that must write says `-- @write`, and its connection must set "allowWrites": true.',
    });
  }
  if (e.code?.startsWith('57P') || e.code?.startsWith('08')) return new SqlError({ ...fields, kind: 'connection' });
  return new SqlError({ ...fields, kind: 'server' });
}

function isSqlState(code: string | undefined): code is string {
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code);
}
