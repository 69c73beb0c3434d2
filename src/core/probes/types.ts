import type { DiffSide } from '../diff/types';
import type { ProbeJournal } from '../record/journal';
import type { Target } from '../sql/targets';

export type Severity = 'ok' | 'warning' | 'critical' | 'unknown';
export const SEVERITY_ORDER: readonly Severity[] = ['ok', 'unknown', 'warning', 'critical'];

/** Every probe a cnprobe cell can name, plus `sql-check` (the findings of a SQL cell's `-- @expect`). */
export const PROBE_NAMES = [
  'replication-lag',
  'replication-slots',
  'row-counts',
  'foreign-keys',
  'orphans',
  'topology',
  'prepared-transactions',
  'locks',
  'clock-skew',
  'causal-order',
  'table-drift',
  'session-guarantees',
  'reconcile',
  'sql-check',
] as const;
export type ProbeName = (typeof PROBE_NAMES)[number];
/** The probes of the catalog (a cnprobe directive names one of these). */
export type CatalogProbeName = Exclude<ProbeName, 'sql-check'>;

export const ROUTINGS = ['sticky', 'round-robin', 'weighted', 'hash'] as const;
/** How session-guarantees routes a session's reads to the replicas. */
export type Routing = (typeof ROUTINGS)[number];

export type MetricValue = number | string | boolean | null | undefined;

/** The metrics other code acts on (the classifier), typed; a probe adds any other measured value beside them. */
export interface KnownMetrics {
  /** topology: two or more writable nodes of one system. */
  splitBrain?: boolean;
  /** session-guarantees: the routing policy the sessions' reads went through. */
  routing?: Routing;
  /** session-guarantees: not run, since a publication would copy its new marker table to subscribers. */
  publishesNewTables?: boolean;
  /** replication-lag: the standby's WAL replay is paused. */
  replayPaused?: boolean;
  /** replication-lag: the state of the primary's WAL sender for this standby (null: none serves it). */
  senderState?: string | null;
  /** replication-lag: the standby's recovery_min_apply_delay in seconds (0: replays as soon as it can). */
  applyDelaySeconds?: number | null;
  /** topology: the slot a standby streams from (primary_slot_name), or null. */
  primarySlotName?: string | null;
  /** replication-slots: the slot's name. */
  slotName?: string | null;
  /** topology (roles found at run time): a declared role the server does not have. */
  roleMismatch?: boolean;
  /** topology: no writable member, an availability state (a failover under way, a primary down). */
  noPrimary?: boolean;
  /** topology: a member that could not be asked. */
  unreachable?: boolean;
  /** topology: a member left on an older timeline than the primary's. */
  timelineFork?: boolean;
  /** topology (timelineFork): its WAL goes past the fork, so writes may exist only on it. */
  pastFork?: boolean;
}

/** What a probe measured about one target (a connection, a pair, a table): the unit of diagnosis. */
export interface Finding {
  probe: ProbeName;
  /** A label for people (`db-replica-1`, `primary1/slot_a`, `a → b: orders`); code reads the typed fields. */
  target: string;
  /**
   * The one connection whose state this finding describes (a replica's lag, a node's role, a slot or a table
   * on it): the map's host node of that connection shows it. Absent when a finding compares or relates
   * several connections (row counts across copies, split brain, drift between two servers).
   */
  connection?: string;
  /**
   * The connections whose copy departs from the reference, when a finding compares several: a drift's
   * target, the copies whose row count differs from the first one's, the writable nodes of a split brain.
   * What lets the diagnosis see that a cause on one host (a paused replay) explains a comparison's failure.
   */
  deviating?: string[];
  severity: Severity;
  summary: string;
  metrics: KnownMetrics & Record<string, MetricValue>;
  evidence?: unknown;
  /** Set on an `unknown` finding whose server could not be reached or stopped answering: nothing was measured. */
  unreachable?: true;
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
  /**
   * Runs `statements` in one READ WRITE transaction with the run's lock timeout and returns each one's row
   * count; refused like `write`.
   */
  writeTransaction(target: Target, statements: readonly string[]): Promise<number[]>;
  /** One side of a table diff (src/core/diff) on a target: read-only, cancelled with the run. */
  diffSide(target: Target): DiffSide;
  /**
   * Asks the person running the cell to agree to a write described in full (host, what, how many rows);
   * without anyone to ask (cnbook run), the run's permission (--allow-writes) is the answer.
   */
  confirmWrite(question: string): Promise<boolean>;
  readonly writesPermitted: boolean;
  readonly lockTimeoutMs: number;
  readonly signal?: AbortSignal;
  /** Where a writing probe records each batch as it commits (beside the record), when the run keeps one. */
  readonly journal?: ProbeJournal;
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

/** What the validator makes of each parameter type (durations in milliseconds). */
interface ValueOfType {
  roles: string[];
  list: string[];
  duration: number;
  number: number;
  bool: boolean;
  identifier: string;
  string: string;
  column: ColumnRef;
  enum: string;
}
type ValueOf<S extends ParamSpec> = S extends { type: 'enum'; values: readonly (infer V)[] }
  ? V
  : ValueOfType[S['type']];
/** A parameter with a default or marked required always has a value once the directive is valid. */
type AlwaysGiven<S extends ParamSpec> = S extends { default: string }
  ? true
  : S extends { required: true }
    ? true
    : false;

/** The arguments of a valid directive, typed from its probe's parameter specs. */
export type ArgsOf<P extends Record<string, ParamSpec>> = {
  -readonly [K in keyof P as AlwaysGiven<P[K]> extends true ? K : never]: ValueOf<P[K]>;
} & {
  -readonly [K in keyof P as AlwaysGiven<P[K]> extends true ? never : K]?: ValueOf<P[K]>;
};

export interface ProbeDefinition {
  name: CatalogProbeName;
  summary: string;
  params: Readonly<Record<string, ParamSpec>>;
  /** The roles or connections a run with these arguments writes to (markers); such runs need a confirmation. */
  writeRoles(args: ProbeArgs): string[];
  /** True when the probe asks (ctx.confirmWrite) with what it will change before its first write. */
  asksBeforeWriting: boolean;
  run(args: ProbeArgs, context: ProbeContext): Promise<Finding[]>;
}

/** A probe as written in the catalog: `run` and `writeRoles` see arguments typed from `params`. */
export interface ProbeSpec<P extends Record<string, ParamSpec>> {
  name: CatalogProbeName;
  summary: string;
  params: P;
  /** Omitted: the probe only reads. */
  writeRoles?(args: ArgsOf<P>): string[];
  /** The probe asks with what it will change (the rows, the host) before writing, so the run need not ask first. */
  asksBeforeWriting?: boolean;
  run(args: ArgsOf<P>, context: ProbeContext): Promise<Finding[]>;
}

/**
 * Defines a probe whose `run(args, ctx)` gets its arguments typed from its parameter specs: roles and list
 * give string[], duration a number of ms, number a number, bool a boolean, enum the union of its `values`,
 * identifier and string a string, column a ColumnRef; a parameter with a default or `required: true` is
 * always present, any other may be undefined. The validator (validate.ts) checks every argument against
 * the same specs before a run, which is what makes the one conversion below sound.
 */
export function defineProbe<const P extends Record<string, ParamSpec>>(spec: ProbeSpec<P>): ProbeDefinition {
  const typed = (args: ProbeArgs) => args as ArgsOf<P>;
  return {
    name: spec.name,
    summary: spec.summary,
    params: spec.params,
    writeRoles: (args) => spec.writeRoles?.(typed(args)) ?? [],
    asksBeforeWriting: spec.asksBeforeWriting ?? false,
    run: (args, context) => spec.run(typed(args), context),
  };
}

export function worst(severities: Severity[]): Severity {
  return severities.reduce<Severity>((a, b) => (SEVERITY_ORDER.indexOf(b) > SEVERITY_ORDER.indexOf(a) ? b : a), 'ok');
}

/** Grades a measured value against warn/critical thresholds (higher is worse). */
export function grade(value: number | null, warn: number, critical: number): Severity {
  if (value === null || Number.isNaN(value)) return 'unknown';
  return value >= critical ? 'critical' : value >= warn ? 'warning' : 'ok';
}
