/**
 * The `locks` fault needs sessions that stay open after the command that injected it exits: a detached
 * process holds them. It speaks just enough of the PostgreSQL wire protocol (startup with trust auth, simple
 * queries) to need nothing from node_modules, and exits when the server closes a connection. With a repeat
 * interval it runs each session's last statement again and again: the `pause` fault's light writer.
 */
import { spawn } from 'node:child_process';

export const LOCKS_APPLICATION = 'cnbook-sandbox-locks';

const HOLDER_SOURCE = `
const net = require('net');
const port = Number(process.argv[1]);
const app = process.argv[2];
const plans = JSON.parse(process.argv[3]);
const repeatMs = Number(process.argv[4] || 0);
const int32 = (n) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
const cstr = (s) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
function open(statements) {
  const socket = net.connect(port, '127.0.0.1');
  const body = Buffer.concat([int32(196608), cstr('user'), cstr('postgres'), cstr('database'), cstr('postgres'),
    cstr('application_name'), cstr(app), Buffer.from([0])]);
  socket.write(Buffer.concat([int32(body.length + 4), body]));
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1)) {
      const type = String.fromCharCode(pending[0]);
      pending = pending.subarray(1 + pending.readInt32BE(1));
      if (type === 'Z' && statements.length) {
        const repeating = repeatMs > 0 && statements.length === 1;
        const text = cstr(repeating ? statements[0] : statements.shift());
        const send = () => socket.write(Buffer.concat([Buffer.from('Q'), int32(text.length + 4), text]));
        if (repeating) setTimeout(send, repeatMs); else send();
      }
    }
  });
  socket.on('error', () => process.exit(0));
  socket.on('close', () => process.exit(0));
}
plans.forEach((statements, i) => setTimeout(() => open(statements), i * 300));
process.on('SIGTERM', () => process.exit(0));
`;

/** Starts the holder: each plan is one session's statements, opened 300 ms apart so the waits chain. */
export function startLockHolder(port: number, plans: string[][]): number | undefined {
  return startSessions(port, LOCKS_APPLICATION, plans, 0);
}

export const WRITER_APPLICATION = 'cnbook-sandbox-writer';

/** A session that runs `statement` every `everyMs` until the server closes it or it is signalled. */
export function startLightWriter(port: number, statement: string, everyMs: number): number | undefined {
  return startSessions(port, WRITER_APPLICATION, [[statement]], everyMs);
}

function startSessions(port: number, application: string, plans: string[][], repeatMs: number): number | undefined {
  const args = ['-e', HOLDER_SOURCE, String(port), application, JSON.stringify(plans), String(repeatMs)];
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  child.unref();
  return child.pid;
}
