import type { ResolvedConnection, RoleBinding } from '../../../src/core/connections/model';
import { checkProbeCell } from '../../../src/core/probes/execute';
import type { Finding, ProbeContext, Row } from '../../../src/core/probes/types';
import { SqlError } from '../../../src/core/sql/errors';
import { resolveTargets } from '../../../src/core/sql/targets';

/** A canned answer: rows, an error to throw, or either made from the query's parameters. */
export type Answer = Row[] | Error | ((values: unknown[]) => Row[] | Error);

export interface FakeOptions {
  /** Role to connection names, e.g. `{ primary: ['p'], replicas: ['r1', 'r2'] }`. */
  roles: Record<string, string[]>;
  /**
   * Answers per query, by the query's exact text as the probe exports it (REPLICATION_LAG_SQL.standby,
   * rowCountSql('orders')), then by connection name. A query without an answer fails the test.
   */
  answers?: [sql: string, byConnection: Record<string, Answer>][];
  /** Connections that answer nothing at all: every query on them throws this error (a server that is down). */
  down?: Record<string, Error>;
  writesPermitted?: boolean;
  /** Milliseconds the fake clock moves on every reading of it. */
  tick?: number;
}

export interface FakeContext extends ProbeContext {
  /** Every statement sent, in order, with its connection and whether it was a write. */
  readonly sent: { connection: string; sql: string; values: unknown[]; write: boolean }[];
}

/**
 * A ProbeContext over canned answers, for the probes' grading: the real one runs the same SQL on real
 * servers (test/integration). It resolves roles as the real one does and keeps a clock that only moves
 * when read, so timings are deterministic.
 */
export function fakeContext(options: FakeOptions): FakeContext {
  const bindings = new Map<string, RoleBinding>(
    Object.entries(options.roles).map(([role, names]) => [role, { role, connections: names.map(connection) }]),
  );
  const answers = new Map(options.answers ?? []);
  const sent: FakeContext['sent'] = [];
  let clock = 1_700_000_000_000;
  const respond =
    (write: boolean) =>
    async (target: { connection: ResolvedConnection }, sql: string, values: unknown[] = []) => {
      const name = target.connection.name;
      sent.push({ connection: name, sql, values, write });
      const down = options.down?.[name];
      if (down) throw down;
      const answer = answers.get(sql)?.[name];
      if (answer === undefined) throw new Error(`fake: no answer on ${name} for ${sql}`);
      const result = typeof answer === 'function' ? answer(values) : answer;
      if (result instanceof Error) throw result;
      return result;
    };
  return {
    targets: (names) => resolveTargets(names, bindings, 'primary'),
    query: respond(false),
    write: respond(true),
    cleanup: respond(true),
    writeTransaction: async (target, statements) => {
      const counts: number[] = [];
      for (const sql of statements) counts.push((await respond(true)(target, sql)).length);
      return counts;
    },
    // The engine's queries are answered like the probes' own, as rows of text in column order.
    diffSide: (target) => ({
      name: target.connection.name,
      query: async (sql, values) => (await respond(false)(target, sql, values)).map((row) => Object.values(row)),
    }),
    confirmWrite: () => Promise.resolve(options.writesPermitted ?? false),
    writesPermitted: options.writesPermitted ?? false,
    lockTimeoutMs: 1000,
    now: () => (clock += options.tick ?? 1),
    memory: new Map(),
    sent,
  };
}

function connection(name: string): ResolvedConnection {
  return {
    name,
    host: '127.0.0.1',
    port: 5432,
    database: 'postgres',
    user: 'postgres',
    sslmode: 'disable',
    allowWrites: true,
    passwordSource: 'none',
  };
}

/** What PostgreSQL says for a view or table this server lacks (a PostgreSQL-compatible database). */
export function undefinedTable(name: string): SqlError {
  return new SqlError({ kind: 'server', sqlstate: '42P01', message: `relation "${name}" does not exist` });
}

/** What PostgreSQL says for a function this server lacks. */
export function undefinedFunction(signature: string): SqlError {
  return new SqlError({ kind: 'server', sqlstate: '42883', message: `function ${signature} does not exist` });
}

/** What the driver says for a server nobody listens for. */
export function refused(port = 5432): SqlError {
  return new SqlError({ kind: 'connection', message: `connect ECONNREFUSED 127.0.0.1:${port}` });
}

/** The severity and summary of each finding by target: what a grading test compares. */
export function graded(findings: { target: string; severity: string }[]): Record<string, string> {
  return Object.fromEntries(findings.map((f) => [f.target, f.severity]));
}

/** Validates a one-line cnprobe cell as a run would and runs its probe on the fake context. */
export async function runDirective(source: string, ctx: ProbeContext): Promise<Finding[]> {
  const { directives, problems } = checkProbeCell(source);
  const [directive] = directives;
  if (!directive || problems.length > 0) throw new Error(`invalid directive: ${JSON.stringify(problems)}`);
  return directive.probe.run(directive.args, ctx);
}
