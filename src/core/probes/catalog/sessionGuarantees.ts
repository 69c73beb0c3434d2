import type { Finding, ProbeContext, Routing } from '../types';
import { defineProbe, ROUTINGS } from '../types';
import type { Target } from '../../sql/targets';
import { unknownBecause } from '../context';

const TABLE = 'cnbook_session_probe';

/** The queries of session-guarantees, by what they ask (the unit tests answer them by these names). */
export const SESSION_SQL = {
  create: `CREATE TABLE IF NOT EXISTS ${TABLE} (run text, session int, seq int, PRIMARY KEY (run, session, seq))`,
  write: `INSERT INTO ${TABLE} VALUES ($1, $2, $3)`,
  read: `SELECT coalesce(max(seq), 0) AS max, count(*) AS n FROM ${TABLE} WHERE run = $1 AND session = $2`,
  remove: `DELETE FROM ${TABLE} WHERE run = $1`,
  visible: `SELECT to_regclass('${TABLE}') IS NOT NULL AS visible`,
  /** Whether the table exists, the publications of all tables, and the server (for schema publications). */
  published: `SELECT to_regclass('${TABLE}') IS NOT NULL AS exists, current_setting('server_version_num')::int AS version, (SELECT string_agg(pubname, ', ' ORDER BY pubname) FROM pg_publication WHERE puballtables) AS publications`,
  /** PostgreSQL 15 and later: publications of the schema the table would be created in. */
  publishedSchema: `SELECT string_agg(p.pubname, ', ' ORDER BY p.pubname) AS publications FROM pg_publication p JOIN pg_publication_namespace n ON n.pnpubid = p.oid WHERE n.pnnspid = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`,
} as const;

interface Play {
  sessions: number;
  operations: number;
  /** How long to wait for a stale read to catch up, in ms. */
  wait: number;
  /** Staleness a client can live with, in ms: a write shown within it is not a violation. */
  tolerance: number;
}

interface Tally {
  reads: number;
  stale: number;
  monotonicViolations: number;
  gapViolations: number;
  worstStaleMs: number;
  /** Per guarantee, the replicas that served a read breaking it: where the diagnosis looks for a cause. */
  on: { stale: Set<string>; backwards: Set<string>; gap: Set<string> };
}
type Route = (session: number, op: number) => Target;

/**
 * Plays client sessions against the cluster: each writes on the primary and reads through the routing
 * policy from the replicas, measuring read-your-writes, monotonic reads and writes-follow-reads as seen by
 * a client. It writes marker rows (opt-in), and removes them afterwards.
 */
export const sessionGuaranteesProbe = defineProbe({
  name: 'session-guarantees',
  summary: 'read-your-writes, monotonic reads and writes-follow-reads through a routing policy (writes markers)',
  params: {
    primary: { type: 'roles', doc: 'where sessions write', default: 'primary' },
    replicas: { type: 'roles', doc: 'where sessions read', default: 'replicas' },
    routing: {
      type: 'enum',
      values: ROUTINGS,
      doc: 'how reads are routed',
      default: 'round-robin',
    },
    weights: { type: 'list', doc: 'relative weights of the replicas, for routing=weighted' },
    sessions: { type: 'number', doc: 'simulated client sessions', default: '10' },
    operations: { type: 'number', doc: 'write-then-read operations per session', default: '5' },
    wait: { type: 'duration', doc: 'how long to wait for a stale read to catch up', default: '5s' },
    tolerance: {
      type: 'duration',
      doc: 'staleness the application accepts (its read-after-write bound); a read that shows its own write within it is no violation',
      default: '0ms',
    },
    critical: { type: 'number', doc: 'rate of violations (0-1) that is critical', default: '0.05' },
  },
  writeRoles: (args) => args.primary,
  async run(args, ctx) {
    const [primary] = ctx.targets(args.primary);
    const replicas = ctx.targets(args.replicas);
    const label = `routing=${args.routing} over ${replicas.map((r) => r.connection.name).join(',')}`;
    if (!primary || replicas.length === 0) return [];
    if (!ctx.writesPermitted)
      return [
        unknownBecause(
          'session-guarantees',
          label,
          new Error('this probe writes marker rows and writes are not permitted for this run'),
        ),
      ];
    const run = `s-${Math.random().toString(36).slice(2)}`;
    try {
      const publications = await publicationsTaking(ctx, primary);
      if (publications) return [notCreated(label, publications, primary.connection.name)];
      await ctx.write(primary, SESSION_SQL.create);
      await untilVisible(ctx, replicas, args.wait);
      const tally = await play(ctx, primary, router(args.routing, args.weights, replicas), run, args);
      return findings(label, args.routing, tally, args.critical, args.tolerance);
    } catch (error) {
      return [unknownBecause('session-guarantees', label, error)];
    } finally {
      // Best effort: a failed cleanup must not hide the findings (the rows are keyed by this run only).
      await ctx.cleanup(primary, SESSION_SQL.remove, [run]).catch(() => undefined);
    }
  },
});

/**
 * The publications that would copy a newly created marker table to their subscribers, whose apply then
 * stops on a table they lack (a FOR ALL TABLES or, from PostgreSQL 15, a FOR TABLES IN SCHEMA publication).
 * None once the table exists: whoever created it (the sandbox does, everywhere) made the subscribers ready.
 */
async function publicationsTaking(ctx: ProbeContext, primary: Target): Promise<string | undefined> {
  const [state] = await ctx.query(primary, SESSION_SQL.published);
  if (state?.exists === 't') return undefined;
  const schemaWide = Number(state?.version) >= 150000 ? await ctx.query(primary, SESSION_SQL.publishedSchema) : [];
  const names = [state?.publications, schemaWide[0]?.publications].filter((n): n is string => Boolean(n));
  return names.length > 0 ? names.join(', ') : undefined;
}

function notCreated(label: string, publications: string, connection: string): Finding {
  return {
    ...unknownBecause(
      'session-guarantees',
      label,
      new Error(
        `${connection} publishes every new table (${publications}), so creating the marker table ` +
          `${TABLE} would copy it to the subscribers, whose apply stops on a table they lack. Create it on each ` +
          `subscriber and then on ${connection} (${SESSION_SQL.create}), and run again`,
      ),
    ),
    metrics: { publishesNewTables: true },
  };
}

async function play(ctx: ProbeContext, primary: Target, route: Route, run: string, args: Play): Promise<Tally> {
  const tally: Tally = {
    reads: 0,
    stale: 0,
    monotonicViolations: 0,
    gapViolations: 0,
    worstStaleMs: 0,
    on: { stale: new Set(), backwards: new Set(), gap: new Set() },
  };
  const sessions = Math.max(1, Math.floor(args.sessions));
  const lastSeen = new Array<number>(sessions + 1).fill(0);
  for (let op = 1; op <= Math.max(1, Math.floor(args.operations)); op++) {
    for (let session = 1; session <= sessions; session++) {
      if (ctx.signal?.aborted) return tally;
      await ctx.write(primary, SESSION_SQL.write, [run, session, op]);
      const replica = route(session, op);
      const seen = await read(ctx, replica, run, session);
      tally.reads++;
      if (seen.max < op) {
        const staleMs = await staleFor(ctx, replica, run, session, op, args.wait);
        if (staleMs > args.tolerance) tally.stale++;
        if (staleMs > args.tolerance) tally.on.stale.add(replica.connection.name);
        tally.worstStaleMs = Math.max(tally.worstStaleMs, staleMs);
      }
      const backwards = seen.max < (lastSeen[session] ?? 0);
      // Under one WAL order a replica never shows a later write of a session without the earlier ones.
      const gap = seen.count !== seen.max;
      if (backwards) tally.monotonicViolations++;
      if (backwards) tally.on.backwards.add(replica.connection.name);
      if (gap) tally.gapViolations++;
      if (gap) tally.on.gap.add(replica.connection.name);
      lastSeen[session] = Math.max(lastSeen[session] ?? 0, seen.max);
    }
  }
  return tally;
}

/**
 * The first run on a cluster creates the marker table on the primary; reading a replica before it replays
 * the CREATE would fail on a missing table rather than measure anything. Waits up to `wait` for each.
 */
async function untilVisible(ctx: ProbeContext, replicas: Target[], wait: number): Promise<void> {
  const started = ctx.now();
  for (const replica of replicas) {
    while (!ctx.signal?.aborted) {
      const [row] = await ctx.query(replica, SESSION_SQL.visible);
      if (row?.visible === 't' || ctx.now() - started >= wait) break;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

async function read(
  ctx: ProbeContext,
  replica: Target,
  run: string,
  session: number,
): Promise<{ max: number; count: number }> {
  const [row] = await ctx.query(replica, SESSION_SQL.read, [run, session]);
  const max = row?.max === null || row?.max === undefined ? NaN : Number(row.max);
  const count = row?.n === null || row?.n === undefined ? NaN : Number(row.n);
  // A read the server does not answer with numbers is not a stale read: it was not measured.
  if (!Number.isFinite(max) || !Number.isFinite(count))
    throw new Error(`${replica.connection.name} gave no read result`);
  return { max, count };
}

/** How long the replica took to show the write, up to `wait`: the staleness a client would have seen. */
async function staleFor(
  ctx: ProbeContext,
  replica: Target,
  run: string,
  session: number,
  op: number,
  wait: number,
): Promise<number> {
  const started = ctx.now();
  while (ctx.now() - started < wait && !ctx.signal?.aborted) {
    if ((await read(ctx, replica, run, session)).max >= op) return ctx.now() - started;
    await new Promise((r) => setTimeout(r, 10));
  }
  return wait;
}

function router(routing: Routing, weightList: string[] | undefined, replicas: Target[]): Route {
  const n = replicas.length;
  const pick = (i: number): Target => {
    const replica = replicas[((i % n) + n) % n];
    if (!replica) throw new Error('no replica to route to');
    return replica;
  };
  switch (routing) {
    case 'sticky':
      return (session) => pick(session - 1);
    case 'hash':
      return (session) => pick(fnv1a(`session-${session}`));
    case 'weighted': {
      const weights = replicas.map((_, i) => Math.max(0, Number(weightList?.[i] ?? 1)));
      const total = weights.reduce((a, b) => a + b, 0) || 1;
      let seed = 42;
      return () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31; // deterministic, so runs compare
        let x = (seed / 2 ** 31) * total;
        const index = weights.findIndex((w) => (x -= w) < 0);
        return pick(index === -1 ? n - 1 : index);
      };
    }
    // A session's consecutive requests land on consecutive servers: what round robin means to one client.
    case 'round-robin':
      return (session, op) => pick(session + op);
  }
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

const deviating = (on: Set<string>): Pick<Finding, 'deviating'> => (on.size > 0 ? { deviating: [...on].sort() } : {});

function findings(label: string, routing: Routing, t: Tally, critical: number, tolerance: number): Finding[] {
  const grade = (violations: number): Finding['severity'] =>
    violations === 0 ? 'ok' : violations / t.reads >= critical ? 'critical' : 'warning';
  const pct = (v: number) => `${((100 * v) / Math.max(1, t.reads)).toFixed(1)}%`;
  return [
    {
      probe: 'session-guarantees',
      target: `${label} read-your-writes`,
      severity: grade(t.stale),
      ...deviating(t.on.stale),
      summary: `${t.stale} of ${t.reads} reads missed the session's own write${tolerance > 0 ? ` for more than ${tolerance} ms` : ''} (${pct(t.stale)}), worst staleness ${t.worstStaleMs.toFixed(0)} ms`,
      metrics: {
        reads: t.reads,
        staleReads: t.stale,
        staleRate: t.stale / Math.max(1, t.reads),
        worstStalenessMs: Math.round(t.worstStaleMs),
        toleranceMs: tolerance,
        routing,
      },
    },
    {
      probe: 'session-guarantees',
      target: `${label} monotonic-reads`,
      severity: grade(t.monotonicViolations),
      ...deviating(t.on.backwards),
      summary: `${t.monotonicViolations} of ${t.reads} reads went back in time (${pct(t.monotonicViolations)})`,
      metrics: { reads: t.reads, violations: t.monotonicViolations, routing },
    },
    {
      probe: 'session-guarantees',
      target: `${label} writes-follow-reads`,
      severity: grade(t.gapViolations),
      ...deviating(t.on.gap),
      summary: `${t.gapViolations} reads showed a write without the writes before it`,
      metrics: { reads: t.reads, violations: t.gapViolations, routing },
    },
  ];
}
