import { unknownBecause } from '../context';
import type { Finding, ProbeContext, ProbeDefinition } from '../types';
import type { Target } from '../../sql/targets';

/** Where clock-skew leaves the largest skew it could not rule out, for causal-order's tolerance. */
export const SKEW_MEMORY = 'clock-skew:worst-ms';

interface Offset {
  target: string;
  offsetMs: number;
  boundMs: number;
}

/**
 * Offset of each server's clock from this machine's, by the midpoint of a round trip (the sample with the
 * shortest round trip wins, as in NTP); the half round trip is a hard bound on the error.
 */
export const clockSkewProbe: ProbeDefinition = {
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
    // One server at a time: concurrent samples would share the client's CPU and widen every bound.
    for (const target of ctx.targets(args.on as string[])) {
      try {
        const offset = await measureOffset(ctx, target, Math.max(1, Math.floor(args.samples as number)));
        offsets.push(offset);
        findings.push(offsetFinding(offset, `offset from this machine`, args));
      } catch (error) {
        findings.push(unknownBecause('clock-skew', target.connection.name, error));
      }
    }
    if (offsets.length >= 2) {
      const sorted = [...offsets].sort((a, b) => a.offsetMs - b.offsetMs);
      const [low, high] = [sorted[0]!, sorted[sorted.length - 1]!];
      const skew = {
        target: `${high.target} vs ${low.target}`,
        offsetMs: high.offsetMs - low.offsetMs,
        boundMs: high.boundMs + low.boundMs,
      };
      findings.push(offsetFinding(skew, 'largest skew between servers', args));
      ctx.memory.set(SKEW_MEMORY, Math.abs(skew.offsetMs) + skew.boundMs);
    }
    return findings;
  },
};

async function measureOffset(ctx: ProbeContext, target: Target, samples: number): Promise<Offset> {
  await ctx.query(target, 'SELECT 1'); // open the session first, so no sample pays for connecting
  let best: Offset | undefined;
  for (let i = 0; i < samples; i++) {
    const sent = ctx.now();
    const [row] = await ctx.query(
      target,
      'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8::text AS server_ms',
    );
    const received = ctx.now();
    const sample = {
      target: target.connection.name,
      offsetMs: Number(row?.server_ms) - (sent + received) / 2,
      boundMs: (received - sent) / 2,
    };
    if (!best || sample.boundMs < best.boundMs) best = sample;
  }
  return best!;
}

function offsetFinding(offset: Offset, what: string, args: Record<string, unknown>): Finding {
  // Only what is beyond the error bound counts: a skew that may be zero is not reported as skew.
  const certain = Math.max(0, Math.abs(offset.offsetMs) - offset.boundMs);
  const severity =
    certain >= (args.critical as number) ? 'critical' : certain >= (args.warn as number) ? 'warning' : 'ok';
  return {
    probe: 'clock-skew',
    target: offset.target,
    severity,
    summary: `${what}: ${offset.offsetMs >= 0 ? '+' : ''}${offset.offsetMs.toFixed(1)} ms ± ${offset.boundMs.toFixed(1)} ms`,
    metrics: { offsetMs: Math.round(offset.offsetMs * 10) / 10, errorBoundMs: Math.round(offset.boundMs * 10) / 10 },
  };
}
