/**
 * The peer: pg_comparator 2.3.2 (Debian package `postgresql-comparator`), the long-standing PostgreSQL table
 * compare tool. It needs its `pgcmp` extension in both servers, which only Debian's PostgreSQL 15 carries,
 * so the bench's servers are Debian's when the peer is there, and the peer is skipped (saying why) elsewhere.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import type { Found } from './methods';

export const DEBIAN_PG15_BIN = '/usr/lib/postgresql/15/bin';
const PEER_PROGRAM = '/usr/bin/pg_comparator';
const PGCMP_CONTROL = '/usr/share/postgresql/15/extension/pgcmp.control';

/** Why the peer cannot run here, or undefined when it can. */
export function peerUnavailable(): string | undefined {
  if (!fs.existsSync(PEER_PROGRAM))
    return `${PEER_PROGRAM} not found (Debian: apt-get install -y postgresql-comparator)`;
  if (!fs.existsSync(`${DEBIAN_PG15_BIN}/initdb`)) return `Debian's PostgreSQL 15 not found in ${DEBIAN_PG15_BIN}`;
  if (!fs.existsSync(PGCMP_CONTROL)) return `the pgcmp extension is not installed (${PGCMP_CONTROL})`;
  return undefined;
}

/** pg_comparator's report: one line per differing key, `INSERT k` (missing in the second), `DELETE k`, `UPDATE k`. */
export function parsePeerReport(stdout: string): Pick<Found, 'missingInTarget' | 'missingInSource' | 'changed'> {
  const found = { missingInTarget: [] as string[], missingInSource: [] as string[], changed: [] as string[] };
  for (const line of stdout.split('\n')) {
    const match = /^(INSERT|DELETE|UPDATE) (\S+)$/.exec(line);
    if (!match) continue;
    const list =
      match[1] === 'INSERT' ? found.missingInTarget : match[1] === 'DELETE' ? found.missingInSource : found.changed;
    list.push(match[2] as string);
  }
  return found;
}

/** Runs pg_comparator on the two ports; the bytes are counted by the relay in front of them. */
export function peer(ports: [number, number]): Promise<Found> {
  const url = (port: number) => `pgsql://postgres@127.0.0.1:${port}/postgres/public.bench?id`;
  // --max-ratio=2.0: by default it gives up past 10% of the table differing.
  const child = spawn(PEER_PROGRAM, ['--max-ratio=2.0', url(ports[0]), url(ports[1])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`pg_comparator exited ${code}: ${stderr.slice(0, 2000)}`));
      else resolve({ ...parsePeerReport(stdout), bytes: 0, queries: 0 });
    });
  });
}
