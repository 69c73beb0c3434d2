/**
 * Running the server programs. initdb and postgres refuse to run as root, so as root every program runs as
 * an unprivileged OS user through runuser: CNBOOK_SERVER_USER, else `postgres`, else `nobody`.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveBinaries } from './binaries';

export const AS_ROOT = process.getuid?.() === 0;

let chosenUser: string | undefined;

/** The OS user the servers run as when we are root. */
export function serverUser(): string {
  if (chosenUser) return chosenUser;
  const wanted = process.env.CNBOOK_SERVER_USER?.trim();
  const candidates = wanted ? [wanted] : ['postgres', 'nobody'];
  const found = candidates.find((name) => spawnSync('id', ['-u', name]).status === 0);
  if (!found)
    throw new Error(
      wanted
        ? `CNBOOK_SERVER_USER=${wanted} is not a user on this machine`
        : "running as root, the PostgreSQL servers need an unprivileged user, and neither 'postgres' nor 'nobody' exists: " +
            'create one (useradd --system postgres) or set CNBOOK_SERVER_USER',
    );
  chosenUser = found;
  return found;
}

let reachableBinDir: string | undefined;

/**
 * As root, the server user must be able to reach the programs: an extension installed under /root (or in a
 * 0700 temp folder) is out of its reach, so the package's native folder is copied once to /var/tmp.
 */
function serverBinDir(): string {
  const { binDir, packageName, major } = resolveBinaries();
  if (!AS_ROOT) return binDir;
  if (reachableBinDir) return reachableBinDir;
  const canRun = (dir: string) =>
    spawnSync('runuser', ['-u', serverUser(), '--', 'test', '-x', path.join(dir, 'initdb')]).status === 0;
  if (canRun(binDir)) return (reachableBinDir = binDir);
  const native = path.dirname(binDir);
  const version = JSON.stringify(fs.statSync(path.join(binDir, 'postgres')).mtimeMs);
  const copy = path.join('/var/tmp', 'cnbook-pg-bin', `${packageName.replace(/[@/]/g, '_')}-${major}-${version}`);
  if (!fs.existsSync(path.join(copy, 'bin', 'initdb'))) {
    fs.mkdirSync(path.dirname(copy), { recursive: true, mode: 0o755 });
    fs.rmSync(copy, { recursive: true, force: true });
    spawnSync('cp', ['-a', native, copy]);
    spawnSync('chmod', ['-R', 'a+rX', copy]);
  }
  if (!canRun(path.join(copy, 'bin')))
    throw new Error(`the ${serverUser()} user cannot run the PostgreSQL programs in ${binDir} nor in ${copy}`);
  return (reachableBinDir = path.join(copy, 'bin'));
}

/** The command line that runs a server program as the clusters' owner, with extra environment. */
export function serverCommand(program: string, args: string[], env: Record<string, string> = {}): [string, string[]] {
  const binary = program === 'cp' ? 'cp' : path.join(serverBinDir(), program);
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  // `env` after the user switch, so that only the server gets LD_PRELOAD=libfaketime, not runuser itself.
  if (AS_ROOT) return ['runuser', ['-u', serverUser(), '--', 'env', ...assignments, binary, ...args]];
  return assignments.length ? ['env', [...assignments, binary, ...args]] : [binary, args];
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export function runServerProgram(program: string, args: string[], options: RunOptions): Promise<string> {
  const [command, argv] = serverCommand(program, args, options.env);
  return new Promise((resolve, reject) => {
    // cwd matters: as the server user, our own cwd (e.g. /root) may be unreadable and initdb warns about it.
    execFile(
      command,
      argv,
      { cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const output = `${stderr}${stdout}`.trim() || error.message;
        reject(new Error(`${program} ${args.join(' ')} failed:\n${output}`));
      },
    );
  });
}

export function giveToServerUser(target: string): void {
  if (AS_ROOT) spawnSync('chown', ['-R', `${serverUser()}:`, target]);
}

/** Makes a folder for data dirs and logs that the server user owns; says why when it cannot reach it. */
export function prepareFolder(folder: string): void {
  fs.mkdirSync(folder, { recursive: true });
  fs.chmodSync(folder, 0o755);
  if (!AS_ROOT) return;
  giveToServerUser(folder);
  const probe = spawnSync('runuser', ['-u', serverUser(), '--', 'test', '-w', folder, '-a', '-x', folder]);
  if (probe.status !== 0)
    throw new Error(
      `the ${serverUser()} user (who runs the servers when you are root) cannot reach ${folder}: ` +
        'every folder above it must be searchable by other users; use one under /tmp or /var/tmp',
    );
}
