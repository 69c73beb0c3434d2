import * as fs from 'node:fs';
import * as path from 'node:path';

export interface WriteOptions {
  /** Never replace an existing file: the write fails with EEXIST instead (a new incident record). */
  exclusive?: boolean;
}

/**
 * The one way the CLI writes a record (or any file it produces): through a temporary file in the target's
 * own folder, flushed to disk, then renamed over the target, so a crash never leaves half a notebook. A
 * symlink stays a link and its target gets the content; the file keeps its mode (0600 stays 0600).
 */
export function writeFileAtomically(file: string, text: string, options: WriteOptions = {}): void {
  const target = linkTarget(file);
  const mode = existingMode(target);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${tempSuffix()}.tmp`);
  const fd = fs.openSync(temp, 'wx', mode ?? 0o666);
  try {
    fs.writeFileSync(fd, text, 'utf8');
    // The umask narrows the mode given to open; an existing record keeps exactly its own.
    if (mode !== undefined) fs.fchmodSync(fd, mode);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  try {
    // link() refuses an existing name, rename() replaces it: both are atomic.
    if (options.exclusive) fs.linkSync(temp, target);
    else fs.renameSync(temp, target);
  } finally {
    // After a rename there is nothing left; after a link (or a failure) the temporary name goes.
    fs.rmSync(temp, { force: true });
  }
  syncFolder(path.dirname(target));
}

/** The file a path names after following symlinks, a dangling link's target included. */
export function linkTarget(file: string): string {
  let current = path.resolve(file);
  for (let hops = 0; hops < 40; hops++) {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(current);
    } catch {
      return current;
    }
    if (!stat.isSymbolicLink()) return current;
    current = path.resolve(path.dirname(current), fs.readlinkSync(current));
  }
  throw Object.assign(new Error(`too many levels of symbolic links: ${file}`), { code: 'ELOOP' });
}

function existingMode(file: string): number | undefined {
  try {
    return fs.statSync(file).mode & 0o7777;
  } catch {
    return undefined;
  }
}

function tempSuffix(): string {
  return Math.random().toString(36).slice(2, 10);
}

/** Makes the rename itself durable: a folder's entry is only on disk once the folder is flushed. */
export function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(folder, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a folder; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
