/**
 * Injecting and clearing the sandbox's faults in the real servers (the specs are parsed in
 * src/core/sandbox/faults.ts). Each fault changes what a probe measures, not what it reports: the probes
 * find them the way they find a production incident.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SESSION_SQL } from '../core/probes/catalog/sessionGuarantees';
import { DRIFT_COLUMNS, Fault, formatFault, ORPHAN_KEYS } from '../core/sandbox/faults';
import { fakeTimeLibrary } from './binaries';
import { signal } from './cleanup';
import { backupRunningPrimary } from './copy';
import { LOCKS_APPLICATION, startLightWriter, startLockHolder, WRITER_APPLICATION } from './lockHolder';
import { PRIMARY_CONFIG, Sandbox, SandboxError, slotName } from './sandbox';
import { PRIMARY_NAME } from './state';
import { BASE_CONFIG, ServerNode, writeConfig } from './server';
import {
  down,
  failover,
  restoreBuiltPrimary,
  serverOf as server,
  startSandboxProxy,
  stopSandboxProxy,
  switchover,
  up,
} from './transitions';

const ORPHAN_BASE = 900_000;
const PAUSE_WRITE_EVERY_MS = 1000;
const CAUSAL_BASE = 910_000;
const PREPARED_PREFIX = 'cnbook_sandbox_';
// A no-op update: a commit the replicas must replay, without changing any value.
const TOUCH = 'UPDATE orders SET status = status WHERE id = 1';

/** The writable server now (a failover or switchover moves it). */
function primaryOf(sandbox: Sandbox): ServerNode {
  return server(sandbox, sandbox.primaryName());
}

export async function injectFault(sandbox: Sandbox, fault: Fault): Promise<void> {
  sandbox.requireState();
  await INJECT[fault.kind](sandbox, fault as never);
  const spec = formatFault(fault);
  sandbox.update((s) => ({ ...s, faults: [...s.faults.filter((f) => f !== spec), spec] }));
}

export async function clearFault(sandbox: Sandbox, fault: Fault): Promise<void> {
  sandbox.requireState();
  await CLEAR[fault.kind](sandbox, fault as never);
  const spec = formatFault(fault);
  sandbox.update((s) => ({ ...s, faults: s.faults.filter((f) => f !== spec) }));
}

type Handlers = { [K in Fault['kind']]: (sandbox: Sandbox, fault: Extract<Fault, { kind: K }>) => Promise<void> };

const INJECT: Handlers = {
  pause: async (sb, f) => {
    await server(sb, f.replica).query('SELECT pg_wal_replay_pause()');
    await primaryOf(sb).query(TOUCH);
    // A paused replay with nothing to replay looks caught up: a light writer makes it fall behind, as a
    // paused replica of a live primary does.
    if (!sb.state()?.pauseWriter)
      sb.update((s) => ({ ...s, pauseWriter: startLightWriter(primaryOf(sb).port, TOUCH, PAUSE_WRITE_EVERY_MS) }));
  },
  lag: async (sb, f) => {
    const replica = server(sb, f.replica);
    await replica.query(`ALTER SYSTEM SET recovery_min_apply_delay = '${f.delayMs}ms'`);
    await replica.query('SELECT pg_reload_conf()');
    await primaryOf(sb).query(TOUCH);
  },
  drift: async (sb, f) => {
    const column = DRIFT_COLUMNS[f.table];
    const every = Math.max(1, Math.round(1 / f.fraction));
    const change = f.table === 'order_items' ? `${column} = ${column} + 100` : `${column} = ${column} || ' (drifted)'`;
    await server(sb, 'target').query(`UPDATE ${f.table} SET ${change} WHERE id % ${every} = 0`);
  },
  orphans: async (sb, f) => {
    const key = ORPHAN_KEYS[f.table];
    await primaryOf(sb).query(
      [
        'BEGIN',
        `ALTER TABLE ${f.table} DROP CONSTRAINT IF EXISTS ${key.constraint}`,
        orphanInsert(f.table, f.count),
        `ALTER TABLE ${f.table} ADD CONSTRAINT ${key.constraint} FOREIGN KEY (${key.column}) REFERENCES ${key.parent} (${key.parentColumn}) NOT VALID`,
        'COMMIT',
      ].join(';\n'),
    );
  },
  totals: async (sb, f) => {
    await primaryOf(sb).query(
      `UPDATE orders SET total_amount = total_amount + 10 WHERE id IN (SELECT id FROM orders ORDER BY id OFFSET 16 LIMIT ${f.count})`,
    );
  },
  prepared: async (sb, f) => {
    const primary = primaryOf(sb);
    for (let i = 1; i <= f.count; i++)
      await primary.query(
        `BEGIN; UPDATE users SET updated_at = updated_at WHERE id = ${i}; PREPARE TRANSACTION '${PREPARED_PREFIX}${i}'`,
      );
  },
  locks: async (sb) => {
    const primary = primaryOf(sb);
    await CLEAR.locks(sb, { kind: 'locks' });
    // One session holds a row lock, idle in its transaction; two more queue behind it: a chain.
    const lock = 'UPDATE orders SET status = status WHERE id = 2';
    const pid = startLockHolder(primary.port, [['BEGIN', lock], [lock], [lock]]);
    sb.update((s) => ({ ...s, lockHolder: pid }));
    await waitFor(async () => (await primary.query(blockedCount()))[0].n >= 2, 'the lock chain did not form');
  },
  splitbrain: async (sb, f) => {
    const replica = server(sb, f.replica);
    await replica.promote();
    await waitFor(async () => !(await replica.query('SELECT pg_is_in_recovery() AS r'))[0].r, 'promotion');
    // A write only the promoted node has: the two copies now disagree.
    await replica.query("UPDATE orders SET status = 'split-brain write' WHERE id = 3");
  },
  causal: async (sb, f) => {
    await primaryOf(sb).query(
      `INSERT INTO events SELECT ${CAUSAL_BASE} + g, p.id, 'out-of-order', p.created_at - interval '5 seconds'
       FROM generate_series(1, ${f.count}) g JOIN events p ON p.id = g * 7`,
    );
  },
  'stale-session': async (sb, f) => {
    // The probe's marker table must reach the replica before it stalls, or the probe cannot read there.
    const primary = primaryOf(sb);
    await primary.query(SESSION_SQL.create);
    const replica = server(sb, f.replica);
    await waitFor(
      async () => (await replica.query("SELECT to_regclass('cnbook_session_probe') IS NOT NULL AS ok"))[0].ok,
      `${f.replica} did not replay the session probe's table`,
    );
    await replica.query('SELECT pg_wal_replay_pause()');
    await primaryOf(sb).query(
      'UPDATE users SET profile_version = profile_version + 1, updated_at = now() WHERE id > 90',
    );
  },
  skew: async (sb, f) => {
    const lib = fakeTimeLibrary();
    if (!lib) throw new SandboxError('skew needs libfaketime (apt-get install -y libfaketime), which is not installed');
    const offset = `${f.offsetMs >= 0 ? '+' : '-'}${Math.abs(f.offsetMs) / 1000}s`;
    sb.update((s) => ({ ...s, fakeTime: { ...s.fakeTime, [f.server]: offset } }));
    await restart(sb, f.server);
  },
  failover: async (sb) => {
    // The writer would die with the primary; a pause fault's replica keeps its pause.
    await stopPauseWriter(sb);
    await failover(sb);
  },
  switchover: async (sb, f) => {
    await stopPauseWriter(sb);
    await switchover(sb, f.replica);
  },
  down: async (sb, f) => down(sb, f.server),
  proxy: async (sb) => startSandboxProxy(sb),
};

const CLEAR: Handlers = {
  pause: async (sb, f) => {
    await resumeReplay(server(sb, f.replica));
    const others = sb.requireState().faults.filter((x) => x.startsWith('pause=') && x !== `pause=${f.replica}`);
    if (others.length === 0) await stopPauseWriter(sb);
  },
  lag: async (sb, f) => {
    const replica = server(sb, f.replica);
    await replica.query('ALTER SYSTEM RESET recovery_min_apply_delay');
    await replica.query('SELECT pg_reload_conf()');
  },
  drift: async (sb, f) => resync(sb, f.table),
  orphans: async (sb, f) => {
    const key = ORPHAN_KEYS[f.table];
    await primaryOf(sb).query(
      `DELETE FROM ${f.table} c WHERE c.id > ${ORPHAN_BASE} AND c.id <= ${ORPHAN_BASE + 1000}
         AND NOT EXISTS (SELECT 1 FROM ${key.parent} p WHERE p.${key.parentColumn} = c.${key.column});
       ALTER TABLE ${f.table} VALIDATE CONSTRAINT ${key.constraint}`,
    );
  },
  totals: async (sb) => {
    await primaryOf(sb).query(
      `UPDATE orders o SET total_amount = s.total
         FROM (SELECT order_id, sum(price * quantity) AS total FROM order_items GROUP BY order_id) s
        WHERE s.order_id = o.id AND o.total_amount <> s.total`,
    );
  },
  prepared: async (sb) => {
    const primary = primaryOf(sb);
    const rows = await primary.query('SELECT gid FROM pg_prepared_xacts WHERE gid LIKE $1', [`${PREPARED_PREFIX}%`]);
    for (const { gid } of rows) await primary.query(`ROLLBACK PREPARED '${gid as string}'`);
  },
  locks: async (sb) => {
    const state = sb.requireState();
    if (state.lockHolder) signal(state.lockHolder, 'SIGTERM');
    await primaryOf(sb).query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
      LOCKS_APPLICATION,
    ]);
    sb.update((s) => ({ ...s, lockHolder: undefined }));
  },
  splitbrain: async (sb, f) => rebuildReplica(sb, f.replica, primaryOf(sb)),
  causal: async (sb) => {
    await primaryOf(sb).query(`DELETE FROM events WHERE id > ${CAUSAL_BASE} AND id <= ${CAUSAL_BASE + 1000}`);
  },
  'stale-session': async (sb, f) => resumeReplay(server(sb, f.replica)),
  skew: async (sb, f) => {
    sb.update((s) => {
      const fakeTime = { ...s.fakeTime };
      delete fakeTime[f.server];
      return { ...s, fakeTime };
    });
    await restart(sb, f.server);
  },
  failover: async (sb) => restoreBuiltPrimary(sb, rebuildReplica.bind(null, sb)),
  switchover: async (sb) => restoreBuiltPrimary(sb, rebuildReplica.bind(null, sb)),
  down: async (sb, f) => up(sb, f.server),
  proxy: async (sb) => stopSandboxProxy(sb),
};

async function stopPauseWriter(sb: Sandbox): Promise<void> {
  const pid = sb.state()?.pauseWriter;
  if (pid) signal(pid, 'SIGTERM');
  if (sb.nodes().some((n) => n.name === sb.primaryName() && n.running()))
    await primaryOf(sb)
      .query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [WRITER_APPLICATION])
      .catch(() => undefined);
  sb.update((s) => ({ ...s, pauseWriter: undefined }));
}

/**
 * Resumes replay on a paused standby. WAL that waited longer than max_standby_streaming_delay is replayed
 * at once, and its recovery conflicts can cancel the very statement that resumed it: so retry until the
 * standby says it is not paused.
 */
async function resumeReplay(replica: ServerNode): Promise<void> {
  await waitFor(async () => {
    await replica.query('SELECT pg_wal_replay_resume()').catch(() => undefined);
    return !(await replica.query('SELECT pg_is_wal_replay_paused() AS paused'))[0].paused;
  }, `replay on ${replica.name} did not resume`);
}

function orphanInsert(table: keyof typeof ORPHAN_KEYS, count: number): string {
  const rows = `generate_series(1, ${count}) g`;
  switch (table) {
    case 'order_items':
      return `INSERT INTO order_items SELECT ${ORPHAN_BASE} + g, 800000 + g, 9.99, 1 FROM ${rows}`;
    case 'orders':
      return `INSERT INTO orders SELECT ${ORPHAN_BASE} + g, 800000 + g, 'paid', 0, now() FROM ${rows}`;
    case 'events':
      return `INSERT INTO events SELECT ${ORPHAN_BASE} + g, 800000 + g, 'orphan', now() FROM ${rows}`;
  }
}

function blockedCount(): string {
  return 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0';
}

/** Copies a table's rows from the primary to the target again: the drifted copy agrees once more. */
async function resync(sb: Sandbox, table: keyof typeof DRIFT_COLUMNS): Promise<void> {
  const [{ rows }] = await primaryOf(sb).query(`SELECT coalesce(json_agg(t), '[]') AS rows FROM ${table} t`);
  await server(sb, 'target').query(
    `BEGIN; SET LOCAL session_replication_role = replica; DELETE FROM ${table};
     INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, '${JSON.stringify(rows).replace(/'/g, "''")}'); COMMIT`,
  );
}

async function restart(sb: Sandbox, name: string): Promise<void> {
  const node = server(sb, name);
  await node.stop('fast');
  await node.start();
}

/** After a split brain or a failover: a standby again, from a base backup of the primary. */
async function rebuildReplica(sb: Sandbox, name: string, primary: ServerNode): Promise<void> {
  const replica = server(sb, name);
  await replica.stop('fast');
  fs.rmSync(replica.dataDir, { recursive: true, force: true });
  await backupRunningPrimary(primary.url, primary.dataDir, replica.dataDir);
  fs.writeFileSync(path.join(replica.dataDir, 'standby.signal'), '');
  writeConfig(replica.dataDir, {
    ...BASE_CONFIG,
    ...(name === PRIMARY_NAME ? PRIMARY_CONFIG : {}),
    primary_conninfo: `host=127.0.0.1 port=${primary.port} user=postgres dbname=postgres application_name=${name}`,
    primary_slot_name: slotName(name),
  });
  await replica.start();
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new SandboxError(`${what}: not done after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
