import * as fs from 'node:fs';
import * as os from 'node:os';
import { linkTarget } from '../drivers/recordFile';
import { durationSetting } from '../core/defaults';

/** Who holds a record's lock: what `<record>.lock` holds, one JSON object. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holder took the lock. */
  since: string;
}

export interface RecordLock {
  readonly file: string;
  /** The dead holder whose lock this run took over, to be said. */
  readonly tookOverFrom?: LockHolder;
  release(): void;
}

/** A record another run is writing: says who, from where and since when. */
export class RecordLockedError extends Error {
  constructor(
    readonly record: string,
    readonly holder: LockHolder | undefined,
    waitedMs: number | undefined,
  ) {
    const who = holder ? `pid ${holder.pid} on ${holder.host} since ${holder.since}` : 'a run starting up';
    const what =
      waitedMs === undefined
        ? `${record} is being written by another cnbook run (${who}); ` +
          'run again when it ends, or wait for it with --wait[=60s]'
        : `${record} is still being written by another cnbook run (${who}) after waiting ${durationSetting(waitedMs)}`;
    super(`${what}; its lock is ${record}.lock`);
  }
}

const POLL_MS = 200;
/** A lock file still empty after this long was left by a run that died between creating and filling it. */
const EMPTY_LOCK_STALE_MS = 10_000;

/**
 * Takes the lock of a record a run will write (`<record>.lock` beside the file the path leads to, created
 * with O_EXCL): one record, one writer. A lock left by a dead process on this host is taken over; another
 * holder makes this throw RecordLockedError at once, or after `waitMs` of waiting for it.
 */
export async function lockRecord(record: string, waitMs?: number): Promise<RecordLock> {
  const file = `${linkTarget(record)}.lock`;
  const deadline = Date.now() + (waitMs ?? 0);
  for (;;) {
    const taken = tryTake(file);
    if (taken) return taken;
    const holder = readHolder(file);
    if (holder === 'stale') {
      const took = takeOver(file);
      if (took) return took;
    } else if (Date.now() >= deadline) {
      throw new RecordLockedError(record, holder, waitMs);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Where no lock can be made (a missing or read-only folder) no record can be written either: the write says why. */
const UNWRITABLE = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS']);

function tryTake(file: string, tookOverFrom?: LockHolder): RecordLock | undefined {
  const me: LockHolder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return undefined;
    if (UNWRITABLE.has(code)) return { file, release: () => {} };
    throw error;
  }
  try {
    fs.writeSync(fd, `${JSON.stringify(me)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const release = () => {
    process.off('exit', release);
    // Only our own lock: one taken over from us (we were thought dead) is not ours to remove.
    if (sameHolder(readHolder(file), me)) fs.rmSync(file, { force: true });
  };
  // process.exit (a second Ctrl-C) skips every finally: the lock still goes.
  process.on('exit', release);
  return { file, release, ...(tookOverFrom ? { tookOverFrom } : {}) };
}

/**
 * The lock's holder; 'stale' for a dead process on this host (or an empty lock long left), undefined while
 * a starting run has created the file but not yet written into it, or when it went away meanwhile.
 */
function readHolder(file: string): LockHolder | 'stale' | undefined {
  let text: string;
  let ageMs: number;
  try {
    text = fs.readFileSync(file, 'utf8');
    ageMs = Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
  const holder = parseHolder(text);
  if (!holder) return ageMs > EMPTY_LOCK_STALE_MS ? 'stale' : undefined;
  return holder.host === os.hostname() && !processAlive(holder.pid) ? 'stale' : holder;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    const { pid, host, since } = value;
    return typeof pid === 'number' && typeof host === 'string' && typeof since === 'string'
      ? { pid, host, since }
      : undefined;
  } catch {
    return undefined;
  }
}

function sameHolder(a: LockHolder | 'stale' | undefined, b: LockHolder): boolean {
  return typeof a === 'object' && a.pid === b.pid && a.host === b.host && a.since === b.since;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Replaces a dead holder's lock. Two runs may find it dead at once: only the one that creates the
 * `.takeover` file (O_EXCL) removes it, after looking again, so neither removes the other's fresh lock.
 */
function takeOver(file: string): RecordLock | undefined {
  const guard = `${file}.takeover`;
  try {
    fs.writeFileSync(guard, `${process.pid}\n`, { flag: 'wx' });
  } catch {
    removeStaleGuard(guard);
    return undefined;
  }
  try {
    const dead = parseHolder(readText(file));
    if (readHolder(file) !== 'stale') return undefined;
    fs.rmSync(file, { force: true });
    return tryTake(file, dead ?? { pid: 0, host: os.hostname(), since: 'unknown' });
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

/** A takeover guard is held for microseconds; one whose process is gone is removed. */
function removeStaleGuard(guard: string): void {
  const pid = Number(readText(guard).trim());
  if (Number.isSafeInteger(pid) && pid > 0 && !processAlive(pid)) fs.rmSync(guard, { force: true });
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
