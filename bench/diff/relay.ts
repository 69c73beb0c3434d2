/**
 * A TCP relay on loopback standing for the client's link: one listener per server, all sharing one link
 * that carries at most `bitsPerSecond` in each direction, every byte waiting `latencyMs` each way. It counts
 * every byte it carries in both directions, so all tools' traffic is counted the same way. Unlimited
 * (`bitsPerSecond` Infinity, `latencyMs` 0) it forwards at once and only counts: the loopback case.
 */
import * as net from 'node:net';

export interface Link {
  nextFree: number;
  bytes: number;
}

export interface LinkShape {
  bitsPerSecond: number;
  latencyMs: number;
}

export interface Relay {
  /** One port per upstream port, in the same order. */
  ports: number[];
  /** Bytes carried so far: server to client (down) and client to server (up), over all listeners. */
  down: Link;
  up: Link;
  close(): Promise<void>;
}

const HIGH_WATER = 1 << 20;

function unlimited(shape: LinkShape): boolean {
  return shape.bitsPerSecond === Infinity && shape.latencyMs === 0;
}

/** Forwards `from` to `to` at once, counting; backpressure from `to` pauses `from`. */
function counted(from: net.Socket, to: net.Socket, link: Link): void {
  from.on('data', (chunk: Buffer) => {
    link.bytes += chunk.length;
    if (!to.destroyed && !to.write(chunk)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.on('end', () => to.end());
}

/** Forwards `from` to `to` through the link, in order: one queue per direction, drained by one timer. */
function shaped(from: net.Socket, to: net.Socket, link: Link, shape: LinkShape): void {
  const bytesPerMs = shape.bitsPerSecond / 8 / 1000;
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
    queue.push({ chunk, at: link.nextFree + shape.latencyMs });
    queued += chunk.length;
    if (queued > HIGH_WATER) from.pause();
    timer ??= setTimeout(pump, Math.max(0, link.nextFree + shape.latencyMs - now));
  });
  from.on('end', () => {
    ended = true;
    timer ??= setTimeout(pump, 0);
  });
}

function listen(upstreamPort: number, shape: LinkShape, up: Link, down: Link): Promise<net.Server> {
  const forward = unlimited(shape) ? counted : (f: net.Socket, t: net.Socket, l: Link) => shaped(f, t, l, shape);
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    forward(client, upstream, up);
    forward(upstream, client, down);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export async function startRelay(upstreamPorts: number[], shape: LinkShape): Promise<Relay> {
  const up: Link = { nextFree: 0, bytes: 0 };
  const down: Link = { nextFree: 0, bytes: 0 };
  const servers = await Promise.all(upstreamPorts.map((port) => listen(port, shape, up, down)));
  return {
    ports: servers.map((s) => (s.address() as net.AddressInfo).port),
    up,
    down,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}

/**
 * `relay BITS_PER_SECOND LATENCY_MS PORT...` ('inf 0' for unlimited), as a process of its own so it does not
 * share the client's CPU time slices. Prints its ports as a JSON line, then on SIGTERM the bytes carried.
 */
export async function relayMain(args: string[]): Promise<void> {
  const [bits, latency, ...ports] = args;
  const relay = await startRelay(ports.map(Number), {
    bitsPerSecond: bits === 'inf' ? Infinity : Number(bits),
    latencyMs: Number(latency),
  });
  process.stdout.write(`${JSON.stringify({ ports: relay.ports })}\n`);
  process.on('SIGTERM', () => {
    process.stdout.write(`${JSON.stringify({ down: relay.down.bytes, up: relay.up.bytes })}\n`);
    process.exit(0);
  });
}
