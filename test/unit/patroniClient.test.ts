/**
 * The Patroni REST driver's edges that need no cluster: an API that hangs (a member whose machine stopped
 * answering mid-request) is given up on within the bound and named; an answer that is not Patroni's is
 * refused with its URL; and HA members become connections with the profile's user, database and TLS.
 * The driver's reading of a real /cluster is tested on the real rig (test/integration/patroni.test.ts).
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionEnvironment,
  haMemberConnections,
  HaManagerView,
  resolveConnection,
} from '../../src/core/connections';
import { clusterUrl, PatroniUnavailableError, readPatroniView } from '../../src/drivers/patroniClient';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

describe('reading Patroni /cluster', () => {
  const hung = net.createServer(() => undefined);
  const notPatroni = http.createServer((_, res) => res.end('{"status":"ok"}'));
  let hungUrl = '';
  let otherUrl = '';
  beforeAll(async () => {
    hungUrl = `http://127.0.0.1:${await listen(hung)}`;
    otherUrl = `http://127.0.0.1:${await listen(notPatroni)}`;
  });
  afterAll(() => {
    hung.close();
    notPatroni.close();
  });

  it('gives up on an API that accepts and never answers, within the bound, naming the URL', async () => {
    const started = Date.now();
    const error = await readPatroniView([hungUrl], { timeoutMs: 300 }).catch((e) => e);
    expect(error).toBeInstanceOf(PatroniUnavailableError);
    expect(error.message).toContain(`${hungUrl}/cluster: no answer within 300 ms`);
    // Bounded, not hung (generous: the machine is shared).
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('tries each URL in turn and names every failure: a closed port, an answer without members', async () => {
    const closed = net.createServer();
    const closedUrl = `http://127.0.0.1:${await listen(closed)}`;
    closed.close();
    const error = await readPatroniView([closedUrl, otherUrl], { timeoutMs: 2000 }).catch((e) => e);
    expect(error.message).toContain(`${closedUrl}/cluster: ECONNREFUSED`);
    expect(error.message).toContain(`${otherUrl}/cluster: the answer has no "members" list`);
  });

  it('asks /cluster whatever form the base URL takes, never with credentials', () => {
    expect(clusterUrl('http://admin:secret@10.0.0.1:8008/')).toBe('http://10.0.0.1:8008/cluster');
    expect(clusterUrl('http://10.0.0.1:8008/cluster')).toBe('http://10.0.0.1:8008/cluster');
  });
});

describe('HA members as connections', () => {
  const environment: ConnectionEnvironment = {
    env: {},
    homeDir: '/home/oncall',
    osUser: 'oncall',
    readTextFile: (p) => (p === '/home/oncall/.pgpass' ? '10.0.0.3:5432:shop:app:s3cret\n' : undefined),
    fileMode: () => 0o600,
  };
  const view: HaManagerView = {
    manager: 'patroni',
    source: 'http://10.0.0.1:8008/cluster',
    readAt: '2026-12-04T21:00:00.000Z',
    maintenance: false,
    members: [
      { name: 'pg1', host: '10.0.0.1', port: 5432, role: 'leader', state: 'running', running: true },
      { name: 'pg2', host: '10.0.0.2', port: 5432, role: 'replica', state: 'running', running: true },
      { name: 'pg3', host: '10.0.0.3', port: 5432, role: 'replica', state: 'stopped', running: false },
    ],
  };

  it('reaches each member the profile does not already reach, as the profile logs in', () => {
    const declared = resolveConnection(
      'pg2',
      { url: 'postgres://app@10.0.0.1:5432/shop?sslmode=require', allowWrites: true },
      environment,
    );
    const added = haMemberConnections(view, declared, [declared], environment);
    // pg1 is the declared connection's host and port; pg2's name is taken by it; pg3 is down but listed.
    expect(added.map((c) => [c.name, c.host, c.port])).toEqual([
      ['pg2@10.0.0.2:5432', '10.0.0.2', 5432],
      ['pg3', '10.0.0.3', 5432],
    ]);
    for (const c of added) {
      expect([c.user, c.database, c.sslmode, c.allowWrites]).toEqual(['app', 'shop', 'require', false]);
    }
    expect(added[1]?.passwordSource).toBe('pgpass');
  });
});
