/**
 * Replicas without pg_basebackup (the npm package has none): a file copy of the primary's data directory,
 * either while it is cleanly stopped or between pg_backup_start and pg_backup_stop (the low-level base
 * backup API; pg_start_backup/pg_stop_backup before PostgreSQL 15).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { giveToServerUser } from './processes';

// What a base backup leaves out (the backup chapter of the PostgreSQL manual): the folders stay, empty.
const EMPTIED = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
]);
const SKIPPED = new Set(['postmaster.pid', 'postmaster.opts', 'backup_label', 'standby.signal', 'recovery.signal']);

/** Copies a data dir; files that vanish under a running server are skipped, as a base backup does. */
export function copyDataDir(from: string, to: string, running: boolean): void {
  copyTree(from, to, true, running);
  fs.chmodSync(to, 0o700);
  giveToServerUser(to);
}

function copyTree(from: string, to: string, top: boolean, running: boolean): void {
  fs.mkdirSync(to, { recursive: true, mode: 0o700 });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (top && SKIPPED.has(entry.name)) continue;
    // A cleanly stopped primary's pg_wal holds the checkpoint the copy starts from; keep it then.
    if (top && EMPTIED.has(entry.name) && (running || entry.name !== 'pg_wal')) {
      fs.mkdirSync(path.join(to, entry.name), { recursive: true, mode: 0o700 });
      continue;
    }
    if (entry.name.startsWith('pgsql_tmp')) continue;
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    try {
      if (entry.isDirectory()) copyTree(source, target, false, running);
      else if (entry.isFile()) fs.copyFileSync(source, target);
      else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(source), target);
    } catch (error) {
      if (!(running && (error as NodeJS.ErrnoException).code === 'ENOENT')) throw error;
    }
  }
}

/** A base backup of a running primary into `to`, with its backup_label; the caller adds standby settings. */
export async function backupRunningPrimary(primaryUrl: string, dataDir: string, to: string): Promise<void> {
  const client = new Client({ connectionString: primaryUrl, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const [{ num }] = (await client.query("SELECT current_setting('server_version_num')::int AS num")).rows;
    const modern = num >= 150000;
    await client.query(
      modern ? "SELECT pg_backup_start('cnbook', true)" : "SELECT pg_start_backup('cnbook', true, false)",
    );
    try {
      copyDataDir(dataDir, to, true);
    } finally {
      const stop = modern
        ? 'SELECT labelfile FROM pg_backup_stop(true)'
        : 'SELECT labelfile FROM pg_stop_backup(false, true)';
      const [{ labelfile }] = (await client.query(stop)).rows;
      fs.writeFileSync(path.join(to, 'backup_label'), labelfile as string);
      giveToServerUser(to);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
