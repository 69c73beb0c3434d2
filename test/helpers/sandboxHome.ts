import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { buildCli, runCli, type CliResult } from './builtCli';

/** A CNBOOK_SANDBOX_HOME of its own for one test file, and the built CLI run with it. */
export interface SandboxHome {
  readonly dir: string;
  /** This process's environment with CNBOOK_SANDBOX_HOME set, for CLI runs started some other way. */
  readonly env: NodeJS.ProcessEnv;
  cnbook(args: string[]): CliResult;
}

/**
 * Makes the home in a temp folder and registers the file's hooks: before its tests the CLI is built (and,
 * given `startArgs`, `cnbook sandbox start ...startArgs` must succeed); after them `cnbook sandbox stop`
 * runs and the home is removed, whatever the tests left running.
 */
export function useSandboxHome(prefix: string, startArgs?: string[]): SandboxHome {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  // The servers may run as user postgres (as root): they must be able to reach their folders.
  fs.chmodSync(dir, 0o755);
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
