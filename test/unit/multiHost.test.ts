/** How cnbook reads libpq's multi-host connection strings, and which server each target_session_attrs takes. */
import { describe, expect, it } from 'vitest';
import { acceptsServer, hostList, hostPasses } from '../../src/core/connections/multiHost';
import { resolveConnection } from '../../src/core/connections/resolve';
import { validateConnectionsConfig } from '../../src/core/connections/config';
import type { ConnectionEnvironment } from '../../src/core/connections/model';

const environment: ConnectionEnvironment = { env: {}, homeDir: '/h', osUser: 'me', readTextFile: () => undefined };
const resolved = (url: string) => resolveConnection('c', { url }, environment);

describe('multi-host connection strings', () => {
  it('a URL listing hosts with their ports, and its target_session_attrs', () => {
    const c = resolved('postgresql://app@h1:5432,h2:5433/db?target_session_attrs=primary');
    expect([c.host, c.port, c.user, c.database, c.targetSessionAttrs]).toEqual(['h1', 5432, 'app', 'db', 'primary']);
    expect(c.hosts).toEqual([
      { host: 'h1', port: 5432 },
      { host: 'h2', port: 5433 },
    ]);
  });

  it('a URL listing hosts without ports: each on the default port', () => {
    expect(resolved('postgresql://h1,h2/db').hosts).toEqual([
      { host: 'h1', port: 5432 },
      { host: 'h2', port: 5432 },
    ]);
  });

  it("libpq's keyword form with host and port lists and a quoted value", () => {
    const c = resolved("host=h1,h2 port=5432,5433 dbname='my db' target_session_attrs=prefer-standby");
    expect([c.hosts, c.database, c.targetSessionAttrs]).toEqual([
      [
        { host: 'h1', port: 5432 },
        { host: 'h2', port: 5433 },
      ],
      'my db',
      'prefer-standby',
    ]);
  });

  it('one port for all hosts, or one per host, nothing else', () => {
    expect(hostList('a,b', 6000, 'x').map((h) => h.port)).toEqual([6000, 6000]);
    expect(() => hostList('a,b,c', '1,2', 'x')).toThrow(/2 ports for 3 hosts/);
  });

  it('an unknown target_session_attrs is refused, naming the ones libpq has', () => {
    expect(() => resolved('postgresql://h/db?target_session_attrs=leader')).toThrow(
      /target_session_attrs 'leader' is not one of any, read-write, read-only, primary, standby, prefer-standby/,
    );
  });

  it('the connections file takes host and port lists as keys too', () => {
    const data = { connections: { c: { host: 'h1,h2', port: '5432,5433', target_session_attrs: 'standby' } } };
    const { config } = validateConnectionsConfig(data, 'f');
    const c = resolveConnection('c', config.connections.c ?? {}, environment);
    expect([c.hosts?.length, c.targetSessionAttrs]).toEqual([2, 'standby']);
  });
});

describe('which server each target_session_attrs takes', () => {
  it('as libpq: primary and read-write a server not in recovery, standby and read-only one in recovery', () => {
    const takes = (attrs: Parameters<typeof acceptsServer>[0]) => [
      acceptsServer(attrs, false),
      acceptsServer(attrs, true),
    ];
    expect(takes('any')).toEqual([true, true]);
    expect(takes('primary')).toEqual([true, false]);
    expect(takes('read-write')).toEqual([true, false]);
    expect(takes('standby')).toEqual([false, true]);
    expect(takes('read-only')).toEqual([false, true]);
  });

  it('prefer-standby looks for a standby first, then takes any host', () => {
    expect(hostPasses('prefer-standby')).toEqual(['standby', 'any']);
    expect(hostPasses('primary')).toEqual(['primary']);
  });
});
