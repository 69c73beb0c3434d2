/**
 * The diff bench's relay (bench/diff/relay.ts) stands for the client's link: the bench's byte counts and its
 * limited-link times are only as true as the relay. These tests stand for a bench run: bytes counted
 * exactly both ways (else the bytes ratios lie), the rate and delay really applied (else "limited" numbers
 * are loopback numbers), and one link shared by both servers (as the client's one uplink is). Times are
 * checked only as lower bounds, which load cannot break, and a generous "not hung" upper bound.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../bench/diff/relay';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A server that echoes every byte back, standing for a PostgreSQL server answering. */
async function echoServer(): Promise<number> {
  const server = net.createServer((socket) => socket.pipe(socket));
  open.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

async function relayTo(ports: number[], bitsPerSecond: number, latencyMs: number): Promise<Relay> {
  const relay = await startRelay(ports, { bitsPerSecond, latencyMs });
  open.push(relay);
  return relay;
}

/** Sends `payload` through `port` and resolves with what came back once all of it has, and the time taken. */
function roundTrip(port: number, payload: Buffer): Promise<{ echoed: Buffer; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(payload));
    const parts: Buffer[] = [];
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      received += chunk.length;
      if (received < payload.length) return;
      socket.end();
      resolve({ echoed: Buffer.concat(parts), ms: performance.now() - started });
    });
    socket.on('error', reject);
  });
}

function payload(bytes: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 31 + seed) % 251));
}

describe('the diff bench relay', () => {
  it('unlimited, passes every byte through intact and counts each direction exactly', async () => {
    const relay = await relayTo([await echoServer()], Infinity, 0);
    const sent = payload(300_000, 1);
    const { echoed } = await roundTrip(relay.ports[0] as number, sent);
    expect(echoed.equals(sent)).toBe(true);
    expect(relay.up.bytes).toBe(300_000);
    expect(relay.down.bytes).toBe(300_000);
  });

  it('limited, a round trip takes at least twice the delay and the bytes at least their time on the link', async () => {
    // 8 Mbit/s = 1,000 bytes per ms; 50 ms each way.
    const relay = await relayTo([await echoServer()], 8e6, 50);
    const ping = await roundTrip(relay.ports[0] as number, Buffer.from('x'));
    expect(ping.ms).toBeGreaterThanOrEqual(99);
    const bulk = await roundTrip(relay.ports[0] as number, payload(250_000, 2));
    // 250 ms on the link one way (the echo overlaps it), plus the delay both ways.
    expect(bulk.ms).toBeGreaterThanOrEqual(0.95 * (250 + 100));
    expect(bulk.ms).toBeLessThan(8_000);
    expect(relay.up.bytes).toBe(250_001);
    expect(relay.down.bytes).toBe(250_001);
  });

  it('limited, both servers share the one link: two transfers at once take the sum of their times', async () => {
    const relay = await relayTo([await echoServer(), await echoServer()], 8e6, 0);
    const started = performance.now();
    const results = await Promise.all(relay.ports.map((port, i) => roundTrip(port, payload(250_000, i))));
    const ms = performance.now() - started;
    expect(results.every((r) => r.echoed.length === 250_000)).toBe(true);
    // A link per listener would finish both in ~250 ms.
    expect(ms).toBeGreaterThanOrEqual(0.95 * 500);
    expect(relay.up.bytes + relay.down.bytes).toBe(4 * 250_000);
  });
});
