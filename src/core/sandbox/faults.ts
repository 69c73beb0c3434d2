/**
 * The sandbox's faults as typed values: parsing and validating `--fault` specs (`pause=us-west`,
 * `drift=orders:0.05`), with the column of a mistake and a suggestion, and the one-line listing. Pure: the
 * injecting happens against real servers in src/sandbox/faults.ts.
 */
import { parseDuration } from '../util/duration';
import { closestMatch } from '../util/suggest';

export type Fault =
  | { kind: 'pause'; replica: string }
  | { kind: 'lag'; replica: string; delayMs: number }
  | { kind: 'drift'; table: DriftTable; fraction: number }
  | { kind: 'orphans'; table: OrphanTable; count: number }
  | { kind: 'totals'; count: number }
  | { kind: 'prepared'; count: number }
  | { kind: 'locks' }
  | { kind: 'splitbrain'; replica: string }
  | { kind: 'causal'; count: number }
  | { kind: 'stale-session'; replica: string }
  | { kind: 'skew'; server: string; offsetMs: number }
  | { kind: 'failover' }
  | { kind: 'switchover'; replica: string }
  | { kind: 'down'; server: string }
  | { kind: 'proxy' };

/** Faults that take no value. */
const BARE_KINDS: readonly FaultKind[] = ['locks', 'failover', 'proxy'];

export type FaultKind = Fault['kind'];

/** Which column drift changes in each sample table (never the key, so rows still pair up). */
export const DRIFT_COLUMNS = {
  customers: 'email',
  orders: 'status',
  order_items: 'quantity',
  users: 'name',
  events: 'kind',
} as const;
export type DriftTable = keyof typeof DRIFT_COLUMNS;

/** Tables that can get orphans: the child column and the parent it should reference. */
export const ORPHAN_KEYS = {
  order_items: { column: 'order_id', parent: 'orders', parentColumn: 'id', constraint: 'order_items_order_fk' },
  orders: { column: 'customer_id', parent: 'customers', parentColumn: 'id', constraint: 'orders_customer_id_fkey' },
  events: { column: 'parent_id', parent: 'events', parentColumn: 'id', constraint: 'events_parent_id_fkey' },
} as const;
export type OrphanTable = keyof typeof ORPHAN_KEYS;

export interface FaultInfo {
  kind: FaultKind;
  usage: string;
  summary: string;
  /** The probe that detects it, as a cnprobe line a runbook can use. */
  detectedBy: string;
  needsFakeTime?: boolean;
  /**
   * Whether the fault outlives a restart of the servers: data, configuration or a promotion do; a paused
   * replay, a lock holder's session and a stalled replica do not.
   */
  survivesRestart: boolean;
}

export const FAULTS: readonly FaultInfo[] = [
  {
    kind: 'pause',
    survivesRestart: false,
    usage: 'pause=REPLICA',
    summary: 'replay paused on a replica (pg_wal_replay_pause), a light writer on the primary',
    detectedBy: 'replication-lag',
  },
  {
    kind: 'lag',
    survivesRestart: true,
    usage: 'lag=REPLICA:DURATION',
    summary: 'a replica applies WAL late (recovery_min_apply_delay)',
    detectedBy: 'replication-lag',
  },
  {
    kind: 'drift',
    survivesRestart: true,
    usage: 'drift=TABLE:FRACTION',
    summary: "rows changed on the logical copy 'target' (0 < FRACTION <= 1)",
    detectedBy: 'table-drift',
  },
  {
    kind: 'orphans',
    survivesRestart: true,
    usage: 'orphans=TABLE:COUNT',
    summary: 'child rows without a parent, behind a NOT VALID foreign key',
    detectedBy: 'foreign-keys / orphans',
  },
  {
    kind: 'totals',
    survivesRestart: true,
    usage: 'totals=COUNT',
    summary: 'orders whose stored total disagrees with their items',
    detectedBy: 'SQL: stored vs computed totals',
  },
  {
    kind: 'prepared',
    survivesRestart: true,
    usage: 'prepared=COUNT',
    summary: 'stuck two-phase transactions (PREPARE TRANSACTION)',
    detectedBy: 'prepared-transactions',
  },
  {
    kind: 'locks',
    survivesRestart: false,
    usage: 'locks',
    summary: 'a blocking chain: a session idle in its transaction holds a row lock, two more wait',
    detectedBy: 'locks',
  },
  {
    kind: 'splitbrain',
    survivesRestart: true,
    usage: 'splitbrain=REPLICA',
    summary: 'a replica promoted while the primary runs (two writable nodes)',
    detectedBy: 'topology',
  },
  {
    kind: 'causal',
    survivesRestart: true,
    usage: 'causal=COUNT',
    summary: 'child events stamped before their parents',
    detectedBy: 'causal-order',
  },
  {
    kind: 'stale-session',
    survivesRestart: false,
    usage: 'stale-session=REPLICA',
    summary: 'round-robin readers miss their own writes on a stalled replica',
    detectedBy: 'session-guarantees',
  },
  {
    kind: 'skew',
    survivesRestart: true,
    usage: 'skew=SERVER:OFFSET',
    summary: "a server's clock off by OFFSET (+3s, -500ms), through libfaketime",
    detectedBy: 'clock-skew',
    needsFakeTime: true,
  },
  {
    kind: 'failover',
    survivesRestart: true,
    usage: 'failover',
    summary: 'the primary killed, a replica promoted, the others following it (cleared: the old primary back)',
    detectedBy: 'topology',
  },
  {
    kind: 'switchover',
    survivesRestart: true,
    usage: 'switchover=SERVER',
    summary: 'a clean switchover: SERVER (a replica) promoted, the old primary and the others follow it',
    detectedBy: 'topology',
  },
  {
    kind: 'down',
    survivesRestart: true,
    usage: 'down=SERVER',
    summary: 'a server stopped (immediate), its slot left inactive',
    detectedBy: 'topology',
  },
  {
    kind: 'proxy',
    survivesRestart: false,
    usage: 'proxy',
    summary: "a read-write port and a round-robin read port in front (profile 'sandbox-proxy')",
    detectedBy: 'topology',
  },
];

const KINDS = FAULTS.map((f) => f.kind);

/** The kind of a fault spec as formatFault writes it (`orphans=order_items:3`, `locks`). */
function kindOfSpec(spec: string): FaultKind | undefined {
  const name = spec.split('=')[0];
  return KINDS.find((k) => k === name);
}

/** The faults a sandbox still holds after its servers stop and start again. */
export function faultsKeptOverRestart(specs: readonly string[]): string[] {
  return specs.filter((spec) => FAULTS.find((f) => f.kind === kindOfSpec(spec))?.survivesRestart ?? false);
}

export class FaultSpecError extends Error {
  constructor(
    readonly spec: string,
    /** 1-based column in the spec where the mistake starts. */
    readonly column: number,
    readonly problem: string,
  ) {
    super(`--fault '${spec}', column ${column}: ${problem}`);
  }
}

export interface FaultContext {
  replicas: readonly string[];
  /** Every server of the sandbox (for skew): the primary, the replicas, the target. */
  servers: readonly string[];
}

/** The fault spec's parts with their columns, so each error can point at the part that is wrong. */
interface Part {
  text: string;
  column: number;
}

export function parseFault(spec: string, context: FaultContext): Fault {
  const eq = spec.indexOf('=');
  const name = (eq < 0 ? spec : spec.slice(0, eq)).trim();
  const kind = KINDS.find((k) => k === name);
  if (!kind)
    throw new FaultSpecError(
      spec,
      1,
      `unknown fault '${name}'${suggestion(name, KINDS)}; 'cnbook sandbox --list-faults' lists them`,
    );
  const info = FAULTS.find((f) => f.kind === kind) as FaultInfo;
  if (BARE_KINDS.includes(kind)) {
    if (eq >= 0) throw new FaultSpecError(spec, eq + 1, `'${kind}' takes no value (usage: ${info.usage})`);
    return { kind } as Fault;
  }
  if (eq < 0) throw new FaultSpecError(spec, spec.length + 1, `'${kind}' needs a value (usage: ${info.usage})`);
  const parts = splitValue(spec, eq + 1);
  const wanted = info.usage.split('=')[1]?.split(':').length ?? 1;
  if (parts.length !== wanted) {
    const at = parts.length > wanted ? (parts[wanted]?.column ?? eq + 2) - 1 : spec.length + 1;
    throw new FaultSpecError(spec, at, `'${kind}' expects ${info.usage}`);
  }
  return build(kind, spec, parts, context);
}

function splitValue(spec: string, start: number): Part[] {
  const parts: Part[] = [];
  let column = start + 1;
  for (const text of spec.slice(start).split(':')) {
    parts.push({ text, column });
    column += text.length + 1;
  }
  return parts;
}

function build(kind: FaultKind, spec: string, parts: Part[], context: FaultContext): Fault {
  const [a, b] = parts as [Part, Part | undefined];
  switch (kind) {
    case 'pause':
    case 'splitbrain':
    case 'stale-session':
      return { kind, replica: oneOf(spec, a, context.replicas, 'replica') };
    case 'switchover':
      // Any member, so that `clear switchover=X` parses once X is the primary.
      return { kind, replica: oneOf(spec, a, context.servers, 'server') };
    case 'down':
      return { kind, server: oneOf(spec, a, context.servers, 'server') };
    case 'lag':
      return { kind, replica: oneOf(spec, a, context.replicas, 'replica'), delayMs: duration(spec, b as Part) };
    case 'drift':
      return {
        kind,
        table: oneOf(spec, a, Object.keys(DRIFT_COLUMNS), 'table') as DriftTable,
        fraction: fraction(spec, b as Part),
      };
    case 'orphans':
      return {
        kind,
        table: oneOf(spec, a, Object.keys(ORPHAN_KEYS), 'table') as OrphanTable,
        count: count(spec, b as Part),
      };
    case 'totals':
    case 'prepared':
    case 'causal':
      return { kind, count: count(spec, a, kind === 'prepared' ? 8 : 1000) };
    case 'skew':
      return { kind, server: oneOf(spec, a, context.servers, 'server'), offsetMs: offset(spec, b as Part) };
    default:
      return { kind: 'locks' };
  }
}

function suggestion(word: string, candidates: readonly string[]): string {
  const match = closestMatch(word, candidates);
  return match ? ` (did you mean '${match}'?)` : '';
}

function oneOf(spec: string, part: Part, names: readonly string[], what: string): string {
  if (names.includes(part.text)) return part.text;
  const known = names.length ? `: ${names.join(', ')}` : ' (none is running)';
  throw new FaultSpecError(
    spec,
    part.column,
    `no ${what} '${part.text}'${suggestion(part.text, names)}; the sandbox has${known}`,
  );
}

function count(spec: string, part: Part, max = 1000): number {
  const n = Number(part.text);
  if (!/^\d+$/.test(part.text) || n < 1 || n > max)
    throw new FaultSpecError(spec, part.column, `expected a count from 1 to ${max}, got '${part.text}'`);
  return n;
}

function fraction(spec: string, part: Part): number {
  const n = Number(part.text);
  if (!/^\d*\.?\d+$/.test(part.text) || !(n > 0 && n <= 1))
    throw new FaultSpecError(
      spec,
      part.column,
      `expected a fraction above 0 and at most 1 (0.05 is 5%), got '${part.text}'`,
    );
  return n;
}

function duration(spec: string, part: Part): number {
  const ms = parseDuration(part.text);
  if (ms === undefined || ms <= 0)
    throw new FaultSpecError(spec, part.column, `expected a duration like 500ms, 30s or 2m, got '${part.text}'`);
  return ms;
}

function offset(spec: string, part: Part): number {
  const sign = part.text.startsWith('-') ? -1 : 1;
  const ms = /^[+-]/.test(part.text) ? parseDuration(part.text.slice(1)) : undefined;
  if (ms === undefined || ms === 0)
    throw new FaultSpecError(spec, part.column, `expected a signed offset like +3s or -500ms, got '${part.text}'`);
  return sign * ms;
}

/** The canonical spec of a fault (what `status` shows and `--fault` accepts back). */
export function formatFault(fault: Fault): string {
  switch (fault.kind) {
    case 'pause':
    case 'splitbrain':
    case 'stale-session':
    case 'switchover':
      return `${fault.kind}=${fault.replica}`;
    case 'down':
      return `down=${fault.server}`;
    case 'lag':
      return `lag=${fault.replica}:${fault.delayMs}ms`;
    case 'drift':
      return `drift=${fault.table}:${fault.fraction}`;
    case 'orphans':
      return `orphans=${fault.table}:${fault.count}`;
    case 'totals':
    case 'prepared':
    case 'causal':
      return `${fault.kind}=${fault.count}`;
    case 'skew':
      return `skew=${fault.server}:${fault.offsetMs >= 0 ? '+' : '-'}${Math.abs(fault.offsetMs)}ms`;
    case 'locks':
    case 'failover':
    case 'proxy':
      return fault.kind;
  }
}

/** One line per fault for `cnbook sandbox --list-faults`; unavailable ones say why. */
export function faultListing(fakeTimeMissing: string | undefined): string[] {
  const width = Math.max(...FAULTS.map((f) => f.usage.length));
  return FAULTS.map((f) => {
    const why = f.needsFakeTime && fakeTimeMissing ? `  [unavailable: ${fakeTimeMissing}]` : '';
    return `${f.usage.padEnd(width)}  ${f.summary}; found by ${f.detectedBy}${why}`;
  });
}
