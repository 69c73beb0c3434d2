/** `cnbook run FILE --sandbox`: the built-in sandbox profile, starting the sandbox when it is not running. */
import type { ConnectionsConfig } from '../core/connections/model';
import { SANDBOX_PROFILE, SANDBOX_PROXY_PROFILE, sandboxConnections } from '../core/sandbox/profile';
import { Sandbox } from '../sandbox/sandbox';
import { defaultSandboxFolder, DEFAULT_REPLICAS } from '../sandbox/state';
import { injectAll, parseFaults, plannedContext } from './sandboxCommand';
import { loadConnections } from './loadConnections';
import { printErr } from './output';
import { UsageError } from './usageError';

/** The sandbox `cnbook run --sandbox` started, which it stops before it exits. */
let startedForThisRun: Sandbox | undefined;

/**
 * Stops the sandbox this run started, before the process exits: left to the watchdog, `sandbox status` said
 * "running" for a while after the run had ended.
 */
export async function stopSandboxStartedForRun(): Promise<void> {
  const sandbox = startedForThisRun;
  startedForThisRun = undefined;
  if (!sandbox?.running()) return;
  await sandbox.stop();
  printErr(`sandbox '${sandbox.name}' stopped (it was started for this run)`);
}

export async function sandboxProfile(
  name: string,
  faultSpecs: string[],
): Promise<{ config: ConnectionsConfig; profile: string; warnings: string[] }> {
  const sandbox = new Sandbox(name, defaultSandboxFolder(name));
  const state = sandbox.state();
  const replicas = state?.complete ? state.nodes.filter((n) => n.role === 'replica').length : DEFAULT_REPLICAS;
  const faults = parseFaults(faultSpecs, plannedContext(replicas));
  if (!sandbox.running()) {
    // Started for this run only: the watchdog stops it when this process exits.
    printErr(`starting sandbox '${name}' (stops when this run ends; 'cnbook sandbox start' keeps one up)`);
    await sandbox.start({ owner: process.pid });
    startedForThisRun = sandbox;
  }
  await injectAll(sandbox, faults, (line) => printErr(line));
  const status = sandbox.status();
  // With the proxy injected, the run goes through it, as an application behind HAProxy does.
  const profile = status.proxy ? SANDBOX_PROXY_PROFILE : SANDBOX_PROFILE;
  return { config: sandboxConnections(status.nodes, status.proxy), profile, warnings: [] };
}

/**
 * `cnbook check|diff --sandbox[=NAME]`: the connections of a sandbox that is running. Not started for them:
 * a fresh sandbox has nothing to check or compare (its copies agree until a fault is injected).
 */
export function runningSandboxConnections(name: string): { config: ConnectionsConfig; file: string; warnings: [] } {
  const sandbox = new Sandbox(name, defaultSandboxFolder(name));
  if (!sandbox.running())
    throw new UsageError(`sandbox '${name}' is not running: start it with cnbook sandbox start --name ${name}`);
  return { config: sandboxConnections(sandbox.status().nodes), file: `sandbox '${name}'`, warnings: [] };
}

/** The connections a command works on: the sandbox's with --sandbox, else the connections file. */
export function commandConnections(
  options: { connections?: string; sandbox?: string },
  homeDir: string,
): { config: ConnectionsConfig; file: string; warnings: string[] } {
  if (options.sandbox !== undefined && options.connections)
    throw new UsageError('--sandbox uses the sandbox connections; drop --connections');
  return options.sandbox !== undefined
    ? runningSandboxConnections(options.sandbox)
    : loadConnections(options.connections, homeDir);
}
