/**
 * The named sandbox on real servers from the npm binaries: creation (primary, streaming replicas on
 * physical slots, a logical copy), restart from its folder, the bad-input messages, a stale
 * postmaster.pid, a crashed start, the watchdog, and a replica made from a running primary.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requestedMajor } from '../../src/sandbox/binaries';
import { postmasterPid, startWatchdog } from '../../src/sandbox/cleanup';
import { backupRunningPrimary } from '../../src/sandbox/copy';
import { Sandbox } from '../../src/sandbox/sandbox';
import { BASE_CONFIG, ServerNode, writeConfig } from '../../src/sandbox/server';
import { prepareFolder } from '../../src/sandbox/processes';
import { useTempSandbox } from '../helpers/sandboxHome';

const { sandbox, home: base } = useTempSandbox('cnbook-sandbox-test-', 'test', { replicas: 2 });

function node(name: string): ServerNode {
  return sandbox.nodes().find((n) => n.name === name) as ServerNode;
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read().catch(() => undefined as T);
    if (value !== undefined && ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a fresh sandbox', () => {
  it('has a primary, two streaming replicas on their slots and a subscribed target, all running', async () => {
    const status = sandbox.status();
    expect(status.nodes.map((n) => [n.name, n.role, n.running])).toEqual([
      ['us-east', 'primary', true],
      ['us-west', 'replica', true],
      ['eu-west', 'replica', true],
      ['target', 'target', true],
    ]);
    const rows = await node('us-east').query(
      'SELECT slot_name, slot_type, active FROM pg_replication_slots ORDER BY slot_name',
    );
    expect(rows).toEqual([
      { slot_name: 'cnbook_target', slot_type: 'logical', active: true },
      { slot_name: 'eu_west', slot_type: 'physical', active: true },
      { slot_name: 'us_west', slot_type: 'physical', active: true },
    ]);
    const [{ version }] = await node('us-west').query("SELECT current_setting('server_version') AS version");
    expect(version).toMatch(new RegExp(`^${requestedMajor()}\\.`));
  });

  it('holds the sample data on every node, and the copies follow the primary', async () => {
    const count =
      'SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM order_items)::int AS items';
    await node('us-east').query("UPDATE orders SET status = 'refunded' WHERE id = 7");
    for (const name of ['us-west', 'eu-west', 'target']) {
      expect(await node(name).query(count)).toEqual([{ orders: 1000, items: 3000 }]);
      await eventually(
        () => node(name).query('SELECT status FROM orders WHERE id = 7'),
        (rows) => rows[0]?.status === 'refunded',
        `${name} did not follow the primary`,
      );
    }
  });

  it('says so when started twice, and reattaches with ensureRunning', async () => {
    await expect(sandbox.start()).rejects.toThrow(/already running \(us-east on \d+/);
    const status = await sandbox.ensureRunning();
    expect(status.nodes.every((n) => n.running)).toBe(true);
  });
});

describe('stop and start again', () => {
  it('stops every server, refuses a second stop, and restarts from the folder with the data kept', async () => {
    await node('us-east').query("INSERT INTO customers VALUES (9001, 'kept', 'kept@example.com', 'eu-west')");
    const dataDirs = sandbox.nodes().map((n) => n.dataDir);
    await sandbox.stop();
    expect(dataDirs.map((d) => postmasterPid(d))).toEqual([undefined, undefined, undefined, undefined]);
    await expect(sandbox.stop()).rejects.toThrow("sandbox 'test' is not running");
    await sandbox.start();
    expect(await node('us-east').query('SELECT name FROM customers WHERE id = 9001')).toEqual([{ name: 'kept' }]);
  });

  it('starts over a stale postmaster.pid left by a crash', async () => {
    const primary = node('us-east');
    await sandbox.stop();
    // A pid file naming a process that is not this data dir's postmaster: our own pid, say.
    fs.writeFileSync(path.join(primary.dataDir, 'postmaster.pid'), `${process.pid}\n${primary.dataDir}\n`);
    await sandbox.start();
    expect(sandbox.running()).toBe(true);
  });

  it('refuses another replica count without a reset, naming the command that rebuilds it', async () => {
    await sandbox.stop();
    await expect(sandbox.start({ replicas: 3 })).rejects.toThrow(/has 2 replicas; 'cnbook sandbox reset --replicas 3'/);
    await sandbox.start();
  });
});

describe('a port taken while the sandbox was stopped', () => {
  it('moves the primary to a free port and points the replicas and the target at it', async () => {
    const oldPort = node('us-east').port;
    await sandbox.stop();
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(oldPort, '127.0.0.1', resolve));
    try {
      await sandbox.start();
      const primary = node('us-east');
      expect(primary.port).not.toBe(oldPort);
      await primary.query("UPDATE orders SET status = 'moved' WHERE id = 9");
      for (const name of ['us-west', 'eu-west', 'target'])
        await eventually(
          () => node(name).query('SELECT status FROM orders WHERE id = 9'),
          (rows) => rows[0]?.status === 'moved',
          `${name} did not follow the primary to its new port`,
        );
    } finally {
      squatter.close();
    }
  });
});

describe('a folder left by a start that crashed', () => {
  it('is refused by start, with the way out, and rebuilt by reset', async () => {
    const folder = path.join(base, 'crashed');
    fs.mkdirSync(folder);
    fs.writeFileSync(
      path.join(folder, 'sandbox.json'),
      JSON.stringify({ version: 1, name: 'crashed', major: 18, complete: false, nodes: [], faults: [] }),
    );
    const crashed = new Sandbox('crashed', folder);
    await expect(crashed.start()).rejects.toThrow(/creation did not finish .*'cnbook sandbox reset' rebuilds it/);
    await crashed.reset({ replicas: 0 });
    expect(crashed.status().nodes.map((n) => [n.name, n.running])).toEqual([
      ['us-east', true],
      ['target', true],
    ]);
    await crashed.stop();
  });
});

describe('the watchdog', () => {
  it('stops the servers when the process that owns them is killed', async () => {
    const owner = spawn('sleep', ['600'], { stdio: 'ignore' });
    const dataDirs = sandbox.nodes().map((n) => n.dataDir);
    startWatchdog(owner.pid as number, { dataDirs, mode: 'fast' });
    expect(dataDirs.every((d) => postmasterPid(d) !== undefined)).toBe(true);
    owner.kill('SIGKILL');
    await eventually(
      async () => dataDirs.filter((d) => postmasterPid(d) !== undefined),
      (left) => left.length === 0,
      'servers still running after their owner was killed',
    );
    await sandbox.start();
  });
});

describe('a replica of a running primary', () => {
  it(`streams from a copy taken between ${requestedMajor() >= 15 ? 'pg_backup_start and pg_backup_stop' : 'pg_start_backup and pg_stop_backup'}`, async () => {
    const primary = node('us-east');
    const folder = path.join(base, 'hot');
    prepareFolder(folder);
    const replica = new ServerNode('hot', path.join(folder, 'hot'), folder);
    await backupRunningPrimary(primary.url, primary.dataDir, replica.dataDir);
    fs.writeFileSync(path.join(replica.dataDir, 'standby.signal'), '');
    writeConfig(replica.dataDir, {
      ...BASE_CONFIG,
      primary_conninfo: `host=127.0.0.1 port=${primary.port} user=postgres application_name=hot`,
    });
    await replica.startOnFreePort();
    try {
      await primary.query("UPDATE orders SET status = 'hot' WHERE id = 8");
      await eventually(
        () => replica.query('SELECT status FROM orders WHERE id = 8'),
        (rows) => rows[0]?.status === 'hot',
        'the hot copy did not replay',
      );
      const rows = await primary.query("SELECT state FROM pg_stat_replication WHERE application_name = 'hot'");
      expect(rows).toEqual([{ state: 'streaming' }]);
    } finally {
      await replica.stop('immediate');
    }
  });
});
