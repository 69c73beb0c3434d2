/**
 * The built-in `sandbox` profile: connections to the sandbox's servers and the roles runbooks name
 * (primary, replicas, source, target). One function for the CLI and the extension.
 */
import type { ConnectionsConfig } from '../connections/model';

export const SANDBOX_PROFILE = 'sandbox';
/** The same sandbox seen through its `proxy` fault: roles on the proxy's ports, as through HAProxy. */
export const SANDBOX_PROXY_PROFILE = 'sandbox-proxy';

export interface SandboxProxyPorts {
  rwPort: number;
  roPort: number;
}

export interface SandboxNodeInfo {
  name: string;
  role: 'primary' | 'replica' | 'target';
  port: number;
}

/** Connection names are the servers' names (`us-east`, `us-west`, ..., `target`). */
export function sandboxConnections(nodes: readonly SandboxNodeInfo[], proxy?: SandboxProxyPorts): ConnectionsConfig {
  const connections = Object.fromEntries(
    nodes.map((n) => [
      n.name,
      {
        host: '127.0.0.1',
        port: n.port,
        database: 'postgres',
        user: 'postgres',
        sslmode: 'disable' as const,
        // A throwaway primary: probes that write a marker (session-guarantees, marker lag) may, once the
        // run permits writes (--allow-writes, or the confirmation in VS Code). Replicas and the target never.
        ...(n.role === 'primary' ? { allowWrites: true } : {}),
        label: `sandbox ${n.role}`,
      },
    ]),
  );
  const primary = nodes.find((n) => n.role === 'primary')?.name ?? '';
  const replicas = nodes.filter((n) => n.role === 'replica').map((n) => n.name);
  const target = nodes.find((n) => n.role === 'target')?.name;
  const profile: Record<string, string | string[]> = { primary, source: primary };
  if (replicas.length > 0) profile.replicas = replicas;
  if (target) profile.target = target;
  const config: ConnectionsConfig = { connections, profiles: { [SANDBOX_PROFILE]: profile } };
  return proxy ? withProxy(config, proxy, target) : config;
}

/** `lb-rw` and `lb-ro`, and the profile that reaches the primary and the replicas only through them. */
function withProxy(config: ConnectionsConfig, proxy: SandboxProxyPorts, target: string | undefined): ConnectionsConfig {
  const through = (port: number, label: string) => ({
    host: '127.0.0.1',
    port,
    database: 'postgres',
    user: 'postgres',
    sslmode: 'disable' as const,
    label,
  });
  config.connections['lb-rw'] = { ...through(proxy.rwPort, 'sandbox proxy, read-write'), allowWrites: true };
  config.connections['lb-ro'] = through(proxy.roPort, 'sandbox proxy, round-robin read');
  config.profiles[SANDBOX_PROXY_PROFILE] = {
    primary: 'lb-rw',
    source: 'lb-rw',
    replicas: ['lb-ro'],
    ...(target ? { target } : {}),
  };
  return config;
}
