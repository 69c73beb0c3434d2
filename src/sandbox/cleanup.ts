/**
 * No orphaned servers: a stale postmaster.pid is recognised, and a small detached watchdog process stops the
 * servers when the process that owns them exits, is killed or crashes (a SIGKILL runs no exit handler).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The pid of the postmaster running in dataDir, checked against its command line: pids get reused. */
export function postmasterPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!(pid > 0)) return undefined;
  return commandLine(pid).includes(dataDir) ? pid : undefined;
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    const ps = spawnSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000 });
    return ps.stdout ?? '';
  }
}

/** Deletes a postmaster.pid whose server is gone (a crash, a killed machine), so that pg_ctl start works. */
export function removeStalePidFile(dataDir: string): boolean {
  const file = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(file) || postmasterPid(dataDir) !== undefined) return false;
  fs.rmSync(file, { force: true });
  return true;
}

export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Stops the postmasters in dataDirs at once, synchronously (for exit handlers): SIGINT is PostgreSQL's
 * fast shutdown (clean, the data survives), SIGQUIT its immediate one; SIGKILL for any still there.
 */
export function stopServersSync(dataDirs: string[], mode: 'fast' | 'immediate', waitMs = 300): void {
  const stopping = dataDirs.flatMap((dataDir) => {
    const pid = postmasterPid(dataDir);
    if (pid === undefined) return [];
    signal(pid, mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    return [{ pid, pidFile: path.join(dataDir, 'postmaster.pid') }];
  });
  // The postmaster deletes its pid file last, after all its children have exited.
  const deadline = Date.now() + waitMs;
  while (stopping.some((s) => fs.existsSync(s.pidFile)) && Date.now() < deadline) sleepSync(10);
  if (mode === 'immediate') for (const s of stopping) if (fs.existsSync(s.pidFile)) signal(s.pid, 'SIGKILL');
}

export interface WatchdogPlan {
  dataDirs: string[];
  /** 'immediate' and removeFolder for throwaway clusters; 'fast' and keep the data for a named sandbox. */
  mode: 'fast' | 'immediate';
  removeFolder?: string;
}

// Plain JavaScript run by `node -e`: it must not depend on the bundle or on node_modules.
const WATCHDOG_SOURCE = `
const fs = require('fs');
const path = require('path');
const owner = Number(process.argv[1]);
const plan = JSON.parse(process.argv[2]);
function alive(pid) { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } }
function postmaster(dir) {
  try {
    const pid = Number(fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\\n')[0]);
    const cmd = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8');
    return cmd.includes(dir) ? pid : 0;
  } catch (e) { return 0; }
}
function cleanUp() {
  const sig = plan.mode === 'fast' ? 'SIGINT' : 'SIGQUIT';
  const pids = plan.dataDirs.map(postmaster).filter((p) => p > 0);
  for (const pid of pids) { try { process.kill(pid, sig); } catch (e) {} }
  const deadline = Date.now() + 30000;
  const wait = () => {
    const left = pids.filter(alive);
    if (left.length && Date.now() < deadline) return setTimeout(wait, 50);
    for (const pid of left) { try { process.kill(pid, 'SIGKILL'); } catch (e) {} }
    if (plan.removeFolder) fs.rmSync(plan.removeFolder, { recursive: true, force: true });
    process.exit(0);
  };
  wait();
}
const timer = setInterval(() => { if (!alive(owner)) { clearInterval(timer); cleanUp(); } }, 250);
process.on('SIGTERM', () => process.exit(0));
`;

/**
 * Starts a detached process that waits for `owner` to exit and then stops the servers in the plan. The
 * owner kills it (by the returned pid) when it stops the servers itself.
 */
export function startWatchdog(owner: number, plan: WatchdogPlan): number | undefined {
  try {
    const child = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, String(owner), JSON.stringify(plan)], {
      detached: true,
      stdio: 'ignore',
      // In VS Code's extension host process.execPath is Electron; this makes it behave as plain Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    child.unref();
    return child.pid;
  } catch {
    return undefined;
  }
}

export function stopWatchdog(pid: number | undefined): void {
  if (pid !== undefined) signal(pid, 'SIGTERM');
}
