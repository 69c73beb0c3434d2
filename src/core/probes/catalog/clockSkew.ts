import { unknownBecause } from '../context';
import type { Finding, ProbeContext } from '../types';
import { defineProbe } from '../types';
import type { Target } from '../../sql/targets';

/** Where clock-skew leaves the largest skew it could not rule out, for causal-order's tolerance. */
export const SKEW_MEMORY = 'clock-skew:worst-ms';

export const CLOCK_SKEW_SQL = {
  open: 'SELECT 1',
  serverTime: 'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8::text AS server_ms',
} as const;

interface Offset {
  target: string;
  /** The connection measured; absent for the skew between two servers. */
  connection?: string;
  offsetMs: number;
  boundMs: number;
}

/**
 * Offset of each server's clock from this machine's, by the midpoint of a round trip (the sample with the
 * shortest round trip wins, as in NTP); the half round trip is a hard bound on the error.
 */
export const clockSkewProbe = defineProbe({
  name: 'clock-skew',
  summary: "each server's clock offset from the client's, with its error bound, and skew between servers",
  params: {
    on: { type: 'roles', doc: 'roles or connections to measure', default: 'all' },
    samples: { type: 'number', doc: 'round trips per server', default: '7' },
    warn: { type: 'duration', doc: 'offset that is a warning (beyond the error bound)', default: '250ms' },
    critical: { type: 'duration', doc: 'offset that is critical (beyond the error bound)', default: '1s' },
  },
  async run(args, ctx) {
    const findings: Finding[] = [];
    const offsets: Offset[] = [];
    const thresholds = { warn: args.warn, critical: args.critical };
    // One server at a time: concurrent samples would share the client's CPU and widen every bound.
    for (const target of ctx.targets(args.on)) {
      try {
        const offset = await measureOffset(ctx, target, Math.max(1, Math.floor(args.samples)));
        offsets.push(offset);
        findings.push(offsetFinding(offset, `offset from this machine`, thresholds));
      } catch (error) {
        findings.push(unknownBecause('clock-skew', target.connection.name, error, target.connection.name));
      }
    }
    const skew = largestSkew(offsets);
    if (skew) {
      findings.push(offsetFinding(skew, 'largest skew between servers', thresholds));
      ctx.memory.set(SKEW_MEMORY, Math.abs(skew.offsetMs) + skew.boundMs);
    }
    return findings;
  },
});

function largestSkew(offsets: Offset[]): Offset | undefined {
  const sorted = [...offsets].sort((a, b) => a.offsetMs - b.offsetMs);
  const [low, high] = [sorted[0], sorted[sorted.length - 1]];
  if (!low || !high || sorted.length < 2) return undefined;
  return {
    target: `${high.target} vs ${low.target}`,
    offsetMs: high.offsetMs - low.offsetMs,
    boundMs: high.boundMs + low.boundMs,
  };
}

async function measureOffset(ctx: ProbeContext, target: Target, samples: number): Promise<Offset> {
  const name = target.connection.name;
  await ctx.query(target, CLOCK_SKEW_SQL.open); // open the session first, so no sample pays for connecting
  let best: Offset | undefined;
  for (let i = 0; i < samples; i++) {
    const sent = ctx.now();
    const [row] = await ctx.query(target, CLOCK_SKEW_SQL.serverTime);
    const received = ctx.now();
    const serverMs = row?.server_ms === null || row?.server_ms === undefined ? NaN : Number(row.server_ms);
    // A clock the server does not give is not an offset of zero.
    if (!Number.isFinite(serverMs)) throw new Error('the server gave no clock reading');
    const sample = {
      target: name,
      connection: name,
      offsetMs: serverMs - (sent + received) / 2,
      boundMs: (received - sent) / 2,
    };
    if (!best || sample.boundMs < best.boundMs) best = sample;
  }
  if (!best) throw new Error('no clock sample was taken');
  return best;
}

function offsetFinding(offset: Offset, what: string, t: { warn: number; critical: number }): Finding {
  // Only what is beyond the error bound counts: a skew that may be zero is not reported as skew.
  const certain = Math.max(0, Math.abs(offset.offsetMs) - offset.boundMs);
  return {
    probe: 'clock-skew',
    target: offset.target,
    ...(offset.connection !== undefined ? { connection: offset.connection } : {}),
    severity: certain >= t.critical ? 'critical' : certain >= t.warn ? 'warning' : 'ok',
    summary: `${what}: ${offset.offsetMs >= 0 ? '+' : ''}${offset.offsetMs.toFixed(1)} ms ± ${offset.boundMs.toFixed(1)} ms`,
    metrics: { offsetMs: Math.round(offset.offsetMs * 10) / 10, errorBoundMs: Math.round(offset.boundMs * 10) / 10 },
  };
}
