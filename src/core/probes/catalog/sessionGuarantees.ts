import type { Finding, ProbeContext, ProbeDefinition } from '../types';
import type { Target } from '../../sql/targets';
import { unknownBecause } from '../context';

const TABLE = 'cnbook_session_probe';

interface Tally {
  reads: number;
  stale: number;
  monotonicViolations: number;
  gapViolations: number;
  worstStaleMs: number;
}
type Route = (session: number, op: number) => Target;

/**
 * Plays client sessions against the cluster: each writes on the primary and reads through the routing
 * policy from the replicas, measuring read-your-writes, monotonic reads and writes-follow-reads as seen by
 * a client. It writes marker rows (opt-in), and removes them afterwards.
 */
export const sessionGuaranteesProbe: ProbeDefinition = {
  name: 'session-guarantees',
  summary: 'read-your-writes, monotonic reads and writes-follow-reads through a routing policy (writes markers)',
  params: {
    primary: { type: 'roles', doc: 'where sessions write', default: 'primary' },
    replicas: { type: 'roles', doc: 'where sessions read', default: 'replicas' },
    routing: {
      type: 'enum',
      values: ['sticky', 'round-robin', 'weighted', 'hash'],
      doc: 'how reads are routed',
      default: 'round-robin',
    },
    weights: { type: 'list', doc: 'relative weights of the replicas, for routing=weighted' },
    sessions: { type: 'number', doc: 'simulated client sessions', default: '10' },
    operations: { type: 'number', doc: 'write-then-read operations per session', default: '5' },
    wait: { type: 'duration', doc: 'how long to wait for a stale read to catch up', default: '5s' },
    critical: { type: 'number', doc: 'rate of violations (0-1) that is critical', default: '0.05' },
  },
  writes: () => true,
  async run(args, ctx) {
    const [primary] = ctx.targets(args.primary as string[]);
    const replicas = ctx.targets(args.replicas as string[]);
    const label = `routing=${args.routing as string} over ${replicas.map((r) => r.connection.name).join(',')}`;
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
      await ctx.write(
        primary,
        `CREATE TABLE IF NOT EXISTS ${TABLE} (run text, session int, seq int, PRIMARY KEY (run, session, seq))`,
      );
      const tally = await play(ctx, primary, router(args, replicas), run, args);
      return findings(label, tally, args.critical as number);
    } catch (error) {
      return [unknownBecause('session-guarantees', label, error)];
    } finally {
      await ctx.cleanup(primary, `DELETE FROM ${TABLE} WHERE run = $1`, [run]).catch(() => undefined);
    }
  },
};

async function play(
  ctx: ProbeContext,
  primary: Target,
  route: Route,
  run: string,
  args: Record<string, unknown>,
): Promise<Tally> {
  const tally: Tally = { reads: 0, stale: 0, monotonicViolations: 0, gapViolations: 0, worstStaleMs: 0 };
  const sessions = Math.max(1, Math.floor(args.sessions as number));
  const lastSeen = new Array<number>(sessions + 1).fill(0);
  for (let op = 1; op <= Math.max(1, Math.floor(args.operations as number)); op++) {
    for (let session = 1; session <= sessions; session++) {
      if (ctx.signal?.aborted) return tally;
      await ctx.write(primary, `INSERT INTO ${TABLE} VALUES ($1, $2, $3)`, [run, session, op]);
      const replica = route(session, op);
      const seen = await read(ctx, replica, run, session);
      tally.reads++;
      if (seen.max < op) {
        tally.stale++;
        tally.worstStaleMs = Math.max(
          tally.worstStaleMs,
          await staleFor(ctx, replica, run, session, op, args.wait as number),
        );
      }
      if (seen.max < (lastSeen[session] ?? 0)) tally.monotonicViolations++;
      // Under one WAL order a replica never shows a later write of a session without the earlier ones.
      if (seen.count !== seen.max) tally.gapViolations++;
      lastSeen[session] = Math.max(lastSeen[session] ?? 0, seen.max);
    }
  }
  return tally;
}

async function read(
  ctx: ProbeContext,
  replica: Target,
  run: string,
  session: number,
): Promise<{ max: number; count: number }> {
  const [row] = await ctx.query(
    replica,
    `SELECT coalesce(max(seq), 0) AS max, count(*) AS n FROM ${TABLE} WHERE run = $1 AND session = $2`,
    [run, session],
  );
  return { max: Number(row?.max ?? 0), count: Number(row?.n ?? 0) };
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

function router(args: Record<string, unknown>, replicas: Target[]): Route {
  const n = replicas.length;
  const pick = (i: number) => replicas[((i % n) + n) % n] as Target;
  switch (args.routing) {
    case 'sticky':
      return (session) => pick(session - 1);
    case 'hash':
      return (session) => pick(fnv1a(`session-${session}`));
    case 'weighted': {
      const weights = replicas.map((_, i) => Math.max(0, Number((args.weights as string[] | undefined)?.[i] ?? 1)));
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
    default:
      return (session, op) => pick(session + op);
  }
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

function findings(label: string, t: Tally, critical: number): Finding[] {
  const grade = (violations: number): Finding['severity'] =>
    violations === 0 ? 'ok' : violations / t.reads >= critical ? 'critical' : 'warning';
  const pct = (v: number) => `${((100 * v) / Math.max(1, t.reads)).toFixed(1)}%`;
  return [
    {
      probe: 'session-guarantees',
      target: `${label} read-your-writes`,
      severity: grade(t.stale),
      summary: `${t.stale} of ${t.reads} reads missed the session's own write (${pct(t.stale)}), worst staleness ${t.worstStaleMs.toFixed(0)} ms`,
      metrics: {
        reads: t.reads,
        staleReads: t.stale,
        staleRate: t.stale / Math.max(1, t.reads),
        worstStalenessMs: Math.round(t.worstStaleMs),
      },
    },
    {
      probe: 'session-guarantees',
      target: `${label} monotonic-reads`,
      severity: grade(t.monotonicViolations),
      summary: `${t.monotonicViolations} of ${t.reads} reads went back in time (${pct(t.monotonicViolations)})`,
      metrics: { reads: t.reads, violations: t.monotonicViolations },
    },
    {
      probe: 'session-guarantees',
      target: `${label} writes-follow-reads`,
      severity: grade(t.gapViolations),
      summary: `${t.gapViolations} reads showed a write without the writes before it`,
      metrics: { reads: t.reads, violations: t.gapViolations },
    },
  ];
}
