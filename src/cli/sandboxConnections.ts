/** `cnbook run FILE --sandbox`: the built-in sandbox profile, starting the sandbox when it is not running. */
import type { ConnectionsConfig } from '../core/connections/model';
import { SANDBOX_PROFILE, SANDBOX_PROXY_PROFILE, sandboxConnections } from '../core/sandbox/profile';
import { Sandbox } from '../sandbox/sandbox';
import { defaultSandboxFolder, DEFAULT_REPLICAS } from '../sandbox/state';
import { injectAll, parseFaults, plannedContext } from './sandboxCommand';
import { printErr } from './output';

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
  }
  await injectAll(sandbox, faults, (line) => printErr(line));
  const status = sandbox.status();
  // With the proxy injected, the run goes through it, as an application behind HAProxy does.
  const profile = status.proxy ? SANDBOX_PROXY_PROFILE : SANDBOX_PROFILE;
  return { config: sandboxConnections(status.nodes, status.proxy), profile, warnings: [] };
}
