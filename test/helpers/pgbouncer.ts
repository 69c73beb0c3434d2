/**
 * A real PgBouncer (Debian's `pgbouncer`; .ci/run installs it) in front of a test server, run as the
 * servers' unprivileged user. Stands for the poolers users put between cnbook and PostgreSQL: they refuse
 * startup options they do not know (`options` among them) and may hand one session several server backends.
 */
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../src/sandbox/server';
import { giveToServerUser, serverUser } from '../../src/sandbox/processes';

export const PGBOUNCER = '/usr/sbin/pgbouncer';
export const pgbouncerAvailable = (): boolean => fs.existsSync(PGBOUNCER);

export interface PgBouncer {
  port: number;
  stop(): Promise<void>;
}

export async function startPgBouncer(serverPort: number, poolMode: 'session' | 'transaction'): Promise<PgBouncer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-pgbouncer-'));
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'users.txt'), '"postgres" ""\n');
  const ini = [
    '[databases]',
    `postgres = host=127.0.0.1 port=${serverPort} dbname=postgres`,
    '[pgbouncer]',
    `listen_addr = 127.0.0.1`,
    `listen_port = ${port}`,
    `unix_socket_dir = ${dir}`,
    'auth_type = trust',
    `auth_file = ${path.join(dir, 'users.txt')}`,
    `pool_mode = ${poolMode}`,
    `logfile = ${path.join(dir, 'pgbouncer.log')}`,
    'default_pool_size = 2',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'pgbouncer.ini'), ini + '\n');
  fs.chmodSync(dir, 0o755);
  giveToServerUser(dir);
  const asRoot = process.getuid?.() === 0;
  const [command, args] = asRoot
    ? ['runuser', ['-u', serverUser(), '--', PGBOUNCER, path.join(dir, 'pgbouncer.ini')]]
    : [PGBOUNCER, [path.join(dir, 'pgbouncer.ini')]];
  const child = spawn(command, args, { stdio: 'ignore' });
  await waitForPort(port, child, dir);
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      spawnSync('pkill', ['-f', `${dir}/pgbouncer.ini`]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, child: ChildProcess, dir: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(true));
      socket.on('error', () => resolve(false));
      socket.on('connect', () => socket.destroy());
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const log = fs.readFileSync(path.join(dir, 'pgbouncer.log'), 'utf8').slice(-2000);
  throw new Error(`pgbouncer did not listen on ${port}:\n${log}`);
}
