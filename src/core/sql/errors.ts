import { redactSecrets } from '../connections/redact';
import type { TlsSetupProblem } from '../connections/tls';

export type SqlErrorKind = 'server' | 'connection' | 'timeout' | 'cancelled' | 'refused';

/** Why a TLS connection failed, when it did: set on `connection` errors from the handshake or its files. */
export type TlsFailure =
  | 'untrusted-certificate'
  | 'host-name-mismatch'
  | 'certificate-expired'
  | 'certificate-not-yet-valid'
  | 'certificate-revoked'
  | 'revocation-list'
  | 'client-key-mismatch'
  | TlsSetupProblem;

export interface SqlErrorFields {
  kind: SqlErrorKind;
  message: string;
  sqlstate?: string;
  detail?: string;
  hint?: string;
  /** 1-based character position within the failing statement, as PostgreSQL reports it. */
  position?: number;
  where?: string;
  tlsFailure?: TlsFailure;
  /** Which statement of the cell failed (0-based), and where in the cell (1-based line/column). */
  statementIndex?: number;
  /** The server did not answer a cancel in time and the connection was dropped (a hung server). */
  notResponding?: boolean;
  line?: number;
  column?: number;
}

/** A failure of a SQL cell, with everything PostgreSQL said, and never a secret. */
export class SqlError extends Error {
  readonly fields: SqlErrorFields;
  constructor(fields: SqlErrorFields) {
    const clean = { ...fields, message: redactSecrets(fields.message) };
    super(clean.message);
    this.name = 'SqlError';
    this.fields = clean;
  }

  get kind(): SqlErrorKind {
    return this.fields.kind;
  }
}

/** Turns a statement-relative error position into a line and column of the cell. */
export function locateInCell(
  source: string,
  statementOffset: number,
  position: number,
): { line: number; column: number } {
  const absolute = Math.min(source.length, statementOffset + Math.max(0, position - 1));
  const before = source.slice(0, absolute);
  const line = before.split('\n').length;
  const column = absolute - before.lastIndexOf('\n');
  return { line, column };
}

export function describeSqlError(error: SqlErrorFields): string {
  const parts = [error.sqlstate ? `${error.message} [SQLSTATE ${error.sqlstate}]` : error.message];
  if (error.line !== undefined) parts.push(`at cell line ${error.line}, column ${error.column}`);
  if (error.detail) parts.push(`DETAIL: ${error.detail}`);
  if (error.hint) parts.push(`HINT: ${error.hint}`);
  return parts.join('\n');
}
