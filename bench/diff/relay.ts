/**
 * A TCP relay on loopback standing for a link between two regions: every byte waits `latencyMs` each way
 * and the link carries at most `bitsPerSecond` in each direction (shared by all connections through it).
 * Prints its port, then on SIGTERM the bytes it carried from the server to the client.
 */
import * as net from 'node:net';

interface Link {
  nextFree: number;
  bytes: number;
}

const HIGH_WATER = 1 << 20;

/** Forwards `from` to `to` through the link, in order: one queue per direction, drained by one timer. */
function shaped(from: net.Socket, to: net.Socket, link: Link, bytesPerMs: number, latencyMs: number): void {
  const queue: { chunk: Buffer; at: number }[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const pump = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && (queue[0] as { at: number }).at <= now) {
      const { chunk } = queue.shift() as { chunk: Buffer };
      queued -= chunk.length;
      if (!to.destroyed) to.write(chunk);
    }
    if (queued <= HIGH_WATER && from.isPaused()) from.resume();
    if (queue.length > 0) timer = setTimeout(pump, Math.max(0, (queue[0] as { at: number }).at - now));
    else if (ended) to.end();
  };
  from.on('data', (chunk: Buffer) => {
    const now = performance.now();
    link.nextFree = Math.max(now, link.nextFree) + chunk.length / bytesPerMs;
    link.bytes += chunk.length;
    queue.push({ chunk, at: link.nextFree + latencyMs });
    queued += chunk.length;
    if (queued > HIGH_WATER) from.pause();
    timer ??= setTimeout(pump, Math.max(0, link.nextFree + latencyMs - now));
  });
  from.on('end', () => {
    ended = true;
    timer ??= setTimeout(pump, 0);
  });
  from.on('error', () => to.destroy());
}

export function startRelay(
  upstreamPort: number,
  bitsPerSecond: number,
  latencyMs: number,
): Promise<net.Server & { down: Link }> {
  const up: Link = { nextFree: 0, bytes: 0 };
  const down: Link = { nextFree: 0, bytes: 0 };
  const bytesPerMs = bitsPerSecond / 8 / 1000;
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    shaped(client, upstream, up, bytesPerMs, latencyMs);
    shaped(upstream, client, down, bytesPerMs, latencyMs);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(Object.assign(server, { down }))));
}

/** `relay UPSTREAM_PORT BITS_PER_SECOND LATENCY_MS`, as a process of its own so it does not share the client's CPU time slices. */
export async function relayMain(args: string[]): Promise<void> {
  const [port, bits, latency] = args.map(Number);
  const server = await startRelay(port ?? 0, bits ?? 100e6, latency ?? 20);
  const address = server.address() as net.AddressInfo;
  process.stdout.write(`${address.port}\n`);
  process.on('SIGTERM', () => {
    process.stdout.write(`bytes ${server.down.bytes}\n`);
    process.exit(0);
  });
}
