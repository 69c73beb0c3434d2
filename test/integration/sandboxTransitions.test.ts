/**
 * The sandbox's transitions on real servers, as users practise them: a proxy in front (the HAProxy of a
 * Patroni cluster), a server down, a switchover, a failover, each cleared back to the sandbox as built; and
 * the `pause` fault's light writer, without which a paused replica of an idle primary looks caught up.
 * One sandbox (a primary and two replicas) for the file; the tests run in order and each leaves it healthy.
 */
import { Client } from 'pg';
import { describe, expect, it } from 'vitest';
import { parseFault } from '../../src/core/sandbox/faults';
import { sandboxConnections, SANDBOX_PROXY_PROFILE } from '../../src/core/sandbox/profile';
import { clearFault, injectFault } from '../../src/sandbox/faults';
import type { ServerNode } from '../../src/sandbox/server';
import { useTempSandbox } from '../helpers/sandboxHome';
import { runProbeCell } from '../helpers/probeRun';
import { newPool } from './sqlHarness';
import { bindProfile } from '../../src/core/cluster/bindProfile';
import { diagnose } from '../../src/core/diagnosis';
import { profileHosts } from '../../src/core/diagnosis/notebook';
import { SANDBOX_PROFILE } from '../../src/core/sandbox/profile';

const { sandbox } = useTempSandbox('cnbook-transitions-test-', 'transitions', { replicas: 2 });

const node = (name: string) => sandbox.nodes().find((n) => n.name === name) as ServerNode;
const inject = (spec: string) => injectFault(sandbox, parseFault(spec, sandbox.faultContext()));
const clear = (spec: string) => clearFault(sandbox, parseFault(spec, sandbox.faultContext()));

/** The port of the server a new connection to 127.0.0.1:port reaches. */
async function behind(port: number): Promise<number> {
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    return (await client.query('SELECT inet_server_port() AS port')).rows[0].port;
  } finally {
    await client.end();
  }
}

async function writable(name: string): Promise<boolean> {
  return !(await node(name).query('SELECT pg_is_in_recovery() AS r'))[0].r;
}

async function streamingFrom(name: string): Promise<string[]> {
  const rows = await node(name).query(
    "SELECT application_name AS n FROM pg_stat_replication WHERE state = 'streaming' AND application_name <> 'target'",
  );
  return rows.map((r) => r.n as string).sort();
}

async function expectAsBuilt(): Promise<void> {
  expect(await writable('us-east')).toBe(true);
  expect(await writable('us-west')).toBe(false);
  expect(await writable('eu-west')).toBe(false);
  expect(await streamingFrom('us-east')).toEqual(['eu-west', 'us-west']);
  expect(sandbox.running()).toBe(true);
}

/** What a run on a built-in profile says now: the cluster's findings and topology/slots, diagnosed. */
async function diagnosis(profile = SANDBOX_PROFILE) {
  const pool = newPool();
  try {
    const status = sandbox.status();
    const config = sandboxConnections(status.nodes, status.proxy);
    const environment = { env: {}, homeDir: '/nonexistent', osUser: 'postgres', readTextFile: () => undefined };
    const roles = ['primary', 'replicas'];
    const bound = await bindProfile({ config, profile, roles, environment, pool, statementTimeoutMs: 10_000 });
    const probes = 'topology on=all\nreplication-slots on=primary';
    const findings = [...bound.findings, ...(await runProbeCell(probes, { bindings: bound.bindings, pool }))];
    return diagnose({ findings, hosts: profileHosts(bound.bindings), now: new Date().toISOString() });
  } finally {
    await pool.closeAll();
  }
}

const proxyPorts = () => sandbox.status().proxy as { rwPort: number; roPort: number };

describe('sandbox transitions', () => {
  it('pause keeps a light writer on the primary: the paused replica falls behind, no other write', async () => {
    await inject('pause=us-west');
    // The writer's commits rewrite one row: its row version moves on the primary and not on the replica.
    const version = async (name: string) =>
      (await node(name).query('SELECT xmin::text AS v FROM orders WHERE id = 1'))[0].v as string;
    const [primaryBefore, replicaBefore] = [await version('us-east'), await version('us-west')];
    await new Promise((r) => setTimeout(r, 2500));
    expect(await version('us-east')).not.toBe(primaryBefore);
    expect(await version('us-west')).toBe(replicaBefore);
    await clear('pause=us-west');
    expect(sandbox.state()?.pauseWriter).toBeUndefined();
  });

  it('proxy: the rw port reaches the primary, the read port each replica in turn; its profile', async () => {
    await inject('proxy');
    const { rwPort, roPort } = proxyPorts();
    expect(await behind(rwPort)).toBe(node('us-east').port);
    const seen = new Set([await behind(roPort), await behind(roPort)]);
    expect([...seen].sort()).toEqual([node('us-west').port, node('eu-west').port].sort());
    const config = sandboxConnections(sandbox.status().nodes, sandbox.status().proxy);
    expect(config.profiles[SANDBOX_PROXY_PROFILE]).toMatchObject({ primary: 'lb-rw', replicas: ['lb-ro'] });
    // Healthy through the proxy and directly: nothing to say.
    expect((await diagnosis(SANDBOX_PROXY_PROFILE)).consistencyType).toBe('none');
    expect((await diagnosis()).consistencyType).toBe('none');
  });

  it('down: a replica stopped stays so (the sandbox still up), leaves the read port; cleared', async () => {
    await inject('down=eu-west');
    expect(node('eu-west').running()).toBe(false);
    expect(sandbox.running()).toBe(true);
    const { roPort } = proxyPorts();
    expect([await behind(roPort), await behind(roPort)]).toEqual([node('us-west').port, node('us-west').port]);
    const down = await diagnosis();
    expect(down.consistencyType).toBe('availability');
    expect(down.rootCause).toMatch(/^member unreachable: eu-west /);
    expect(down.problems[0]?.evidence.map((f) => f.probe)).toContain('replication-slots');
    await clear('down=eu-west');
    await expectAsBuilt();
  });

  it('switchover: the chosen replica writable, the old primary and the other replica follow it; cleared', async () => {
    await inject('switchover=us-west');
    expect(await writable('us-west')).toBe(true);
    expect(await writable('us-east')).toBe(false);
    expect(await streamingFrom('us-west')).toEqual(['eu-west', 'us-east']);
    expect(await behind(proxyPorts().rwPort)).toBe(node('us-west').port);
    expect([...sandbox.faultContext().replicas].sort()).toEqual(['eu-west', 'us-east']);
    // The built-in profile still declares us-east the primary: the moved role is named, first.
    const moved = await diagnosis();
    expect(moved.consistencyType).toBe('availability');
    expect(moved.rootCause).toMatch(/declared primary us-east is a standby now/);
    await clear('switchover=us-west');
    await expectAsBuilt();
    expect(await behind(proxyPorts().rwPort)).toBe(node('us-east').port);
  });

  it('failover: the primary killed, a replica promoted, the other following it; cleared', async () => {
    await inject('failover');
    expect(node('us-east').running()).toBe(false);
    const promoted = sandbox.primaryName();
    const other = promoted === 'us-west' ? 'eu-west' : 'us-west';
    expect(await writable(promoted)).toBe(true);
    expect(await streamingFrom(promoted)).toEqual([other]);
    expect(await behind(proxyPorts().rwPort)).toBe(node(promoted).port);
    const after = await diagnosis();
    expect(after.consistencyType).toBe('availability');
    expect(after.problems.map((p) => p.type)).not.toContain('strong');
    await clear('failover');
    await expectAsBuilt();
    // The rebuilt us-east feeds the logical copy again (a base backup copies no slot).
    const slot = "SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = 'cnbook_target'";
    expect((await node('us-east').query(slot))[0].n).toBe(1);
    await clear('proxy');
    expect(sandbox.status().proxy).toBeUndefined();
  });
});
