import type { Target } from '../sql/targets';

export type Severity = 'ok' | 'warning' | 'critical' | 'unknown';
export const SEVERITY_ORDER: readonly Severity[] = ['ok', 'unknown', 'warning', 'critical'];

/** What a probe measured about one target (a connection, a pair, a table): the unit of diagnosis. */
export interface Finding {
  probe: string;
  target: string;
  severity: Severity;
  summary: string;
  metrics: Record<string, number | string | boolean | null | undefined>;
  evidence?: unknown;
}

/** A row from a probe query: column name to PostgreSQL's text (or NULL). */
export type Row = Record<string, string | null>;

/** What a probe may do: query targets read-only (with the run's timeouts and cancel), and little else. */
export interface ProbeContext {
  targets(names: readonly string[]): Target[];
  query(target: Target, sql: string, values?: unknown[]): Promise<Row[]>;
  /** For opt-in probes that must write (a marker row); refused unless writes are permitted. */
  write(target: Target, sql: string, values?: unknown[]): Promise<Row[]>;
  /** Removes what a probe wrote: runs even after cancel (with the run's timeouts), so nothing is left behind. */
  cleanup(target: Target, sql: string, values?: unknown[]): Promise<Row[]>;
  readonly writesPermitted: boolean;
  readonly signal?: AbortSignal;
  /** Wall clock in epoch milliseconds with sub-millisecond resolution. */
  now(): number;
  /** Remembered between runs of the same notebook or process (e.g. deadlock counters). */
  readonly memory: Map<string, unknown>;
}

export type ParamType = 'roles' | 'duration' | 'number' | 'string' | 'identifier' | 'column' | 'enum' | 'bool' | 'list';

export interface ParamSpec {
  type: ParamType;
  doc: string;
  required?: boolean;
  /** Default as it would be written in a directive (`5s`, `replicas`). */
  default?: string;
  values?: readonly string[];
}

/** A column reference `table.column` or `schema.table.column`. */
export interface ColumnRef {
  table: string;
  column: string;
}

export type ArgValue = string | number | boolean | string[] | ColumnRef;
export type ProbeArgs = Record<string, ArgValue | undefined>;

export interface ProbeDefinition {
  name: string;
  summary: string;
  params: Record<string, ParamSpec>;
  /** Whether a run with these arguments writes (markers); such runs need permission and a confirmation. */
  writes?(args: ProbeArgs): boolean;
  run(args: ProbeArgs, context: ProbeContext): Promise<Finding[]>;
}

export function worst(severities: Severity[]): Severity {
  return severities.reduce<Severity>((a, b) => (SEVERITY_ORDER.indexOf(b) > SEVERITY_ORDER.indexOf(a) ? b : a), 'ok');
}

/** Grades a measured value against warn/critical thresholds (higher is worse). */
export function grade(value: number | null, warn: number, critical: number): Severity {
  if (value === null || Number.isNaN(value)) return 'unknown';
  return value >= critical ? 'critical' : value >= warn ? 'warning' : 'ok';
}
