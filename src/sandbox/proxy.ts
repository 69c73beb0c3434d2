/**
 * The `proxy` fault: a small TCP proxy in front of the sandbox, as HAProxy stands in front of a Patroni
 * cluster: a read-write port to the primary, and a read port that hands each new connection to the next
 * standby (round robin, per connection, so one session stays on one backend). A detached process, so it
 * outlives the command that started it; it routes by a file the sandbox rewrites whenever roles move, as
 * HAProxy's health checks would notice. Plain Node, nothing from node_modules.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { writeFileAtomically } from '../drivers/recordFile';

export interface ProxyRoutes {
  /** The writable server's port; null while there is none (connections are then closed at once). */
  rw: number | null;
  ro: number[];
}

const PROXY_SOURCE = `
const fs = require('fs');
const net = require('net');
const [routesFile, rwPort, roPort] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
let next = 0;
function routes() {
  try { return JSON.parse(fs.readFileSync(routesFile, 'utf8')); } catch (e) { return { rw: null, ro: [] }; }
}
function serve(pick) {
  return net.createServer((client) => {
    const port = pick(routes());
    if (!port) return client.destroy();
    const server = net.connect(port, '127.0.0.1');
    client.pipe(server).pipe(client);
    const close = () => { client.destroy(); server.destroy(); };
    client.on('error', close); server.on('error', close); client.on('close', close); server.on('close', close);
  });
}
serve((r) => r.rw).listen(rwPort, '127.0.0.1');
serve((r) => (r.ro.length ? r.ro[next++ % r.ro.length] : null)).listen(roPort, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

export function routesFile(folder: string): string {
  return path.join(folder, 'proxy-routes.json');
}

export function writeRoutes(folder: string, routes: ProxyRoutes): void {
  writeFileAtomically(routesFile(folder), JSON.stringify(routes) + '\n');
}

/** Starts the proxy on the two ports and waits until both accept connections. */
export async function startProxy(folder: string, rwPort: number, roPort: number): Promise<number | undefined> {
  const args = ['-e', PROXY_SOURCE, routesFile(folder), String(rwPort), String(roPort)];
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  child.unref();
  for (const port of [rwPort, roPort]) await waitForListening(port);
  return child.pid;
}

async function waitForListening(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the sandbox proxy did not listen on ${port} within 5 s`);
}

export function removeRoutes(folder: string): void {
  fs.rmSync(routesFile(folder), { force: true });
}
