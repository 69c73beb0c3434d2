/** One PostgreSQL server from the npm binaries: initdb, configuration, start on a free port, stop, query. */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Client, QueryResult } from 'pg';
import { removeStalePidFile } from './cleanup';
import { giveToServerUser, runServerProgram } from './processes';

const PORT_ATTEMPTS = 5;

// Small on purpose: the CI machine has 2 cores and a test file may run several servers at once.
export const BASE_CONFIG: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  // TCP only: a socket path under a long data folder can pass the 107-byte limit, and nothing needs it.
  unix_socket_directories: '',
  shared_buffers: '16MB',
  max_connections: '40',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  wal_level: 'replica',
  max_wal_senders: '10',
  hot_standby: 'on',
  max_prepared_transactions: '10',
  wal_keep_size: '64MB',
  logging_collector: 'off',
};

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something already listens on 127.0.0.1:port. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

export async function initDataDir(dataDir: string, cwd: string): Promise<void> {
  await runServerProgram(
    'initdb',
    ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync', '--no-instructions'],
    { cwd },
  );
}

/** Quotes every value, so callers pass plain values; values already in quotes are kept. */
function configLines(settings: Record<string, string>): string {
  const quote = (v: string) => (/^'.*'$/s.test(v) ? v : `'${v.replace(/'/g, "''")}'`);
  return (
    Object.entries(settings)
      .map(([k, v]) => `${k} = ${quote(v)}`)
      .join('\n') + '\n'
  );
}

/** Replaces postgresql.auto.conf (it wins over postgresql.conf, and ALTER SYSTEM keeps our lines). */
export function writeConfig(dataDir: string, settings: Record<string, string>): void {
  fs.writeFileSync(path.join(dataDir, 'postgresql.auto.conf'), `# written by cnbook\n${configLines(settings)}`);
  giveToServerUser(path.join(dataDir, 'postgresql.auto.conf'));
}

export function writeHba(dataDir: string, passwordRole: boolean): void {
  const lines = [
    'local all all trust',
    // First match wins, so the password line must come before the trust line for everyone else.
    ...(passwordRole ? ['host all app 127.0.0.1/32 scram-sha-256'] : []),
    'host all all 127.0.0.1/32 trust',
    'local replication all trust',
    'host replication all 127.0.0.1/32 trust',
  ];
  fs.writeFileSync(path.join(dataDir, 'pg_hba.conf'), lines.join('\n') + '\n');
}

export class StartError extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
  }
}

export class ServerNode {
  readonly host = '127.0.0.1' as const;

  constructor(
    readonly name: string,
    readonly dataDir: string,
    /** Folder for the server log; also the working directory of the server programs. */
    readonly folder: string,
    public env: Record<string, string> = {},
    public port = 0,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get logFile(): string {
    return path.join(this.folder, `${this.name}.log`);
  }

  async start(): Promise<void> {
    removeStalePidFile(this.dataDir);
    const logStart = fs.existsSync(this.logFile) ? fs.statSync(this.logFile).size : 0;
    try {
      await runServerProgram(
        'pg_ctl',
        ['-D', this.dataDir, '-l', this.logFile, '-w', '-t', '60', '-o', `-p ${this.port}`, 'start'],
        { cwd: this.folder, env: this.env },
      );
    } catch (error) {
      // pg_ctl only says "see the log"; the reason (bad setting, port taken) is in the server log.
      const log = fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8').slice(logStart) : '';
      const tail = log.trimEnd().split('\n').slice(-20).join('\n');
      throw new StartError(
        `${this.name} (port ${this.port}) did not start: ${(error as Error).message}\n--- server log ---\n${tail}`,
        /Address already in use/.test(log),
      );
    }
  }

  /** Picks a free port and starts; another process may take the port between probe and bind, so retry. */
  async startOnFreePort(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      try {
        return await this.start();
      } catch (error) {
        if (!(error instanceof StartError && error.portInUse) || attempt >= PORT_ATTEMPTS) throw error;
      }
    }
  }

  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.running()) return;
    await runServerProgram('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop'], { cwd: this.folder });
  }

  async promote(): Promise<void> {
    await runServerProgram('pg_ctl', ['-D', this.dataDir, '-w', '-t', '60', 'promote'], { cwd: this.folder });
  }

  /** Runs one statement (or a multi-statement string without params) on a fresh connection. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async query(sql: string, params?: unknown[]): Promise<any[]> {
    const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 5000 });
    // A server stopped under an open client emits 'error' on it; unhandled, that would crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      // A string of several statements yields one result each; the last one is the interesting one.
      const result: QueryResult | QueryResult[] = await client.query(sql, params);
      return Array.isArray(result) ? (result[result.length - 1]?.rows ?? []) : result.rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  running(): boolean {
    return fs.existsSync(path.join(this.dataDir, 'postmaster.pid'));
  }
}

/**
 * Waits until every named replica streams from the primary (by the application_name it connects with);
 * past `timeoutMs` throws what `fail` makes of the message (the sandbox's own error for its CLI).
 */
export async function waitForStreaming(
  primary: Pick<ServerNode, 'query'>,
  names: readonly string[],
  timeoutMs: number,
  fail: (message: string) => Error = (message) => new Error(message),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await primary.query(
      "SELECT application_name AS name FROM pg_stat_replication WHERE state = 'streaming'",
    );
    const streaming = new Set(rows.map((r) => r.name as string));
    if (names.every((n) => streaming.has(n))) return;
    if (Date.now() > deadline)
      throw fail(
        `replicas not streaming after ${timeoutMs} ms: want ${names.join(', ')}, have ${[...streaming].join(', ') || 'none'}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
