import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DiagnosedProblem } from '../../src/core/diagnosis/model';
import type { Finding } from '../../src/core/probes/types';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

/** Bundles dist/ as `npm run build` does, so the tests run the CLI that ships. */
export function buildCli(): void {
  spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to its end; `env` is added to this process's environment. */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the built CLI to its end without blocking the test process, so that several run at once. */
export function runCliAsync(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What `cnbook run --json` prints, as far as the tests read it. */
export interface RunSummary {
  code: number | null;
  /** How long the run took by its own clock (startedAt to finishedAt). */
  ms: number;
  cells: { status: string }[];
  findings: Finding[];
  problems: DiagnosedProblem[];
  stdout: string;
  stderr: string;
}

/**
 * Runs `cnbook run ... --json` with the built CLI without blocking the test process (its servers may need
 * it meanwhile), and reads the summary; a run that prints none is an error with what it said.
 */
export async function runCliJson(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunSummary> {
  const { code, stdout, stderr } = await runCliAsync(args, { env });
  let summary: {
    startedAt: string;
    finishedAt: string;
    cells: { status: string }[];
    findings: Finding[];
    diagnosis: { problems: DiagnosedProblem[] };
  };
  try {
    summary = JSON.parse(stdout) as typeof summary;
  } catch {
    throw new Error(`cnbook ${args.join(' ')} exited ${code} without a JSON summary:\n${stderr}${stdout}`);
  }
  const ms = Date.parse(summary.finishedAt) - Date.parse(summary.startedAt);
  const { cells, findings } = summary;
  return { code, ms, cells, findings, problems: summary.diagnosis.problems, stdout, stderr };
}

/** A connections file for two test servers: `east` (read-only) as primary, `west` (writable) as its copy. */
export function writePairConnections(dir: string, eastPort: number, westPort: number): string {
  const server = (port: number, allowWrites: boolean) => ({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: 'postgres',
    sslmode: 'disable',
    allowWrites,
  });
  const file = path.join(dir, 'connections.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      connections: { east: server(eastPort, false), west: server(westPort, true) },
      profiles: { pair: { primary: 'east', copy: 'west' } },
    }),
  );
  return file;
}
