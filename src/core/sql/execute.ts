import type { RoleBinding } from '../connections/model';
import { redactValues, secretParamValues } from '../connections/redact';
import { parseAnnotations, SqlAnnotations } from './annotations';
import type { BoundStatement } from './client';
import { locateInCell, SqlError } from './errors';
import { bindParameters, splitStatements, UnsetParameterError } from './lexer';
import { ParameterValueError } from './quote';
import { compareRuns, Provenance, ResultPayload, TargetRun } from './payload';
import type { SessionPool } from './sessionPool';
import { describeViolation, readOnlyViolations, ReadOnlyViolation } from './readOnlyGuard';
import { resolveTargets, Target, UnheldRoleError } from './targets';
import { DEFAULT_LIMITS } from '../defaults';

export interface SqlCellOptions {
  bindings: ReadonlyMap<string, RoleBinding>;
  defaultRole: string;
  pool: SessionPool;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  maxRowsStored: number;
  /** Stored values longer than this many UTF-8 bytes are cut (DEFAULT_LIMITS.maxValueBytes when not given). */
  maxValueBytes?: number;
  batchSize?: number;
  params: Record<string, string>;
  /** The user agreed to writes for this run (CLI --allow-writes, or a confirmation in VS Code). */
  writesPermitted: boolean;
  osUser: string;
  signal?: AbortSignal;
}

export interface SqlCellRun {
  annotations: SqlAnnotations;
  payload: ResultPayload;
  /** True when every target ran every statement. */
  ok: boolean;
}

/** A problem with the cell itself (annotation, target, permission): nothing was sent to a server. */
export class CellInputError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(line === undefined ? message : `line ${line}, column ${column}: ${message}`);
    this.name = 'CellInputError';
  }
}

export async function executeSqlCell(source: string, options: SqlCellOptions): Promise<SqlCellRun> {
  const { annotations, problems } = parseAnnotations(source);
  const first = problems[0];
  if (first) throw new CellInputError(first.message, first.line, first.column);
  let targets: Target[];
  try {
    targets = resolveTargets(annotations.on, options.bindings, options.defaultRole);
  } catch (error) {
    if (error instanceof UnheldRoleError) throw error;
    throw new CellInputError((error as Error).message);
  }
  if (annotations.write) checkWritePermission(targets, options.writesPermitted);
  const statements = boundStatements(source, options.params);
  if (statements.length === 0) throw new CellInputError('the cell has no SQL statement to run');
  if (!annotations.write) refuseReadOnlyViolations(source, statements);
  const runs = await Promise.all(
    targets.map((target) => runOnTarget(source, statements, target, annotations, options)),
  );
  const payload: ResultPayload = { version: 1, results: runs };
  const comparison = compareRuns(runs);
  if (comparison) payload.comparison = comparison;
  return { annotations, payload, ok: runs.every((r) => !r.error) };
}

/** The cell's statements with parameters bound or quoted in; a value that cannot be written is the cell's error. */
function boundStatements(source: string, params: Record<string, string>): BoundStatement[] {
  try {
    return splitStatements(source).map((s) => ({ ...bindParameters(s.text, params), offset: s.offset }));
  } catch (error) {
    if (error instanceof UnsetParameterError || error instanceof ParameterValueError)
      throw new CellInputError(error.message);
    throw error;
  }
}

/** A read-only cell that could end its transaction or act outside it, refused before anything is sent. */
export class ReadOnlyRefusal extends CellInputError {
  constructor(readonly violations: ReadOnlyViolation[]) {
    const shown = violations.slice(0, 5).map(describeViolation);
    if (violations.length > 5) shown.push(`and ${violations.length - 5} more`);
    super(
      `refused before anything ran: ${shown.join('; ')}. This cell is read-only (no -- @write); ` +
        'a cell that must do this says -- @write, on a connection that allows writes.',
    );
    this.name = 'ReadOnlyRefusal';
  }
}

function refuseReadOnlyViolations(source: string, statements: BoundStatement[]): void {
  const violations = readOnlyViolations(source, statements);
  if (violations.length > 0) throw new ReadOnlyRefusal(violations);
}

function checkWritePermission(targets: Target[], writesPermitted: boolean): void {
  const locked = targets.filter((t) => !t.connection.allowWrites).map((t) => t.connection.name);
  if (locked.length > 0) {
    throw new CellInputError(
      `this cell writes (-- @write) but connection ${locked.join(', ')} does not allow writes; set "allowWrites": true on it to permit them`,
    );
  }
  if (!writesPermitted) {
    throw new CellInputError(
      'this cell writes (-- @write); writes must be permitted for this run (cnbook run --allow-writes, or confirm in VS Code)',
    );
  }
}

async function runOnTarget(
  source: string,
  statements: BoundStatement[],
  target: Target,
  annotations: SqlAnnotations,
  options: SqlCellOptions,
): Promise<TargetRun> {
  const { connection } = target;
  const started = new Date();
  const run: TargetRun = {
    connection: connection.name,
    provenance: provenance(target, started, options, !annotations.write),
  };
  if (target.role) run.role = target.role;
  try {
    const session = await options.pool.get(connection, options.signal);
    // Of several hosts listed, the one the session settled on.
    Object.assign(run.provenance, { host: session.connection.host, port: session.connection.port });
    const outcome = await session.runTransaction(statements, {
      readOnly: !annotations.write,
      statementTimeoutMs: annotations.timeoutMs ?? options.statementTimeoutMs,
      lockTimeoutMs: options.lockTimeoutMs,
      maxRowsStored: options.maxRowsStored,
      maxValueBytes: options.maxValueBytes ?? DEFAULT_LIMITS.maxValueBytes,
      batchSize: options.batchSize ?? DEFAULT_LIMITS.fetchBatchRows,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    run.statements = outcome.statements;
    Object.assign(run.provenance, {
      serverVersion: outcome.server.serverVersion,
      inRecovery: outcome.server.inRecovery,
      walLsn: outcome.server.walLsn,
      backendPid: outcome.server.backendPid,
      // What the server said at the end of the transaction, not what the cell asked for.
      readOnly: outcome.server.readOnly,
      rowCount: outcome.statements.reduce((sum, s) => sum + s.rowCount, 0),
    });
  } catch (error) {
    const sqlError =
      error instanceof SqlError ? error : new SqlError({ kind: 'connection', message: (error as Error).message });
    run.error = errorFields(sqlError, source, statements, secretParamValues(options.params));
    // After a cancel, a timeout or a lost connection the session's state is unknown: close it now.
    if (sqlError.kind !== 'server' && sqlError.kind !== 'refused') await options.pool.discard(connection);
  }
  const finished = new Date();
  run.provenance.finishedAt = finished.toISOString();
  run.provenance.durationMs = finished.getTime() - started.getTime();
  // Last, after every key the compact form orders: records stay readable by earlier versions, byte for byte.
  if (target.roleSource) run.provenance.roleSource = target.roleSource;
  if (connection.answeredBy) run.provenance.answeredBy = connection.answeredBy;
  return run;
}

function provenance(target: Target, started: Date, options: SqlCellOptions, readOnly: boolean): Provenance {
  const c = target.connection;
  return {
    connection: c.name,
    ...(target.role ? { role: target.role } : {}),
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    startedAt: started.toISOString(),
    finishedAt: started.toISOString(),
    durationMs: 0,
    rowCount: 0,
    osUser: options.osUser,
    readOnly,
  };
}

/** What the run keeps of an error: where in the cell it happened, and no secret parameter's value. */
function errorFields(error: SqlError, source: string, statements: BoundStatement[], secrets: readonly string[]) {
  const fields = { ...error.fields };
  const statement = fields.statementIndex === undefined ? undefined : statements[fields.statementIndex];
  if (statement && fields.position !== undefined)
    Object.assign(fields, locateInCell(source, statement.offset, fields.position));
  for (const key of ['message', 'detail', 'hint', 'where'] as const) {
    const text = fields[key];
    if (text !== undefined) fields[key] = redactValues(text, secrets);
  }
  return fields;
}
