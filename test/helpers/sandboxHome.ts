import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Sandbox, type StartOptions } from '../../src/sandbox/sandbox';
import { buildCli, runCli, type CliResult } from './builtCli';

/** A CNBOOK_SANDBOX_HOME of its own for one test file, and the built CLI run with it. */
export interface SandboxHome {
  readonly dir: string;
  /** This process's environment with CNBOOK_SANDBOX_HOME set, for CLI runs started some other way. */
  readonly env: NodeJS.ProcessEnv;
  cnbook(args: string[]): CliResult;
}

function tempHome(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  // The servers may run as user postgres (as root): they must be able to reach their folders.
  fs.chmodSync(dir, 0o755);
  return dir;
}

/**
 * Makes the home in a temp folder and registers the file's hooks: before its tests the CLI is built (and,
 * given `startArgs`, `cnbook sandbox start ...startArgs` must succeed); after them `cnbook sandbox stop`
 * runs and the home is removed, whatever the tests left running.
 */
export function useSandboxHome(prefix: string, startArgs?: string[]): SandboxHome {
  const dir = tempHome(prefix);
  const env = { ...process.env, CNBOOK_SANDBOX_HOME: dir };
  const cnbook = (args: string[]) => runCli(args, { env });
  beforeAll(() => {
    buildCli();
    if (!startArgs) return;
    const started = cnbook(['sandbox', 'start', ...startArgs]);
    if (started.code !== 0) throw new Error(`sandbox start failed: ${started.stderr}`);
  });
  afterAll(() => {
    cnbook(['sandbox', 'stop']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir, env, cnbook };
}

/**
 * A sandbox run in this process (for tests that inject faults through it), in a temp home of its own:
 * started before the file's tests, stopped and its home removed after them. Named 'default', it is the
 * sandbox the CLI finds in `home`.
 */
export function useTempSandbox(
  prefix: string,
  name: string,
  options: StartOptions,
): { sandbox: Sandbox; home: string } {
  const home = tempHome(prefix);
  const sandbox = new Sandbox(name, path.join(home, name));
  beforeAll(async () => {
    await sandbox.start(options);
  });
  afterAll(async () => {
    await sandbox.stop().catch(() => undefined);
    fs.rmSync(home, { recursive: true, force: true });
  });
  return { sandbox, home };
}
