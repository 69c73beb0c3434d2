/**
 * The sandbox's transitions, as a cluster under an HA manager goes through them: a failover (the primary
 * killed, the most advanced standby promoted, the others following it), a clean switchover, a server down,
 * and a proxy in front. Each is cleared back to the sandbox as built: us-east the primary of every replica.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { signal } from './cleanup';
import { removeRoutes, startProxy, writeRoutes } from './proxy';
import { PRIMARY_CONFIG, primaryConninfo, Sandbox, SandboxError, slotName, TARGET_SLOT } from './sandbox';
import { BASE_CONFIG, freePort, ServerNode, waitForStreaming, writeConfig } from './server';
import { PRIMARY_NAME, TARGET_NAME } from './state';

export function serverOf(sandbox: Sandbox, name: string): ServerNode {
  const node = sandbox.nodes().find((n) => n.name === name);
  if (!node) throw new SandboxError(`sandbox '${sandbox.name}' has no server '${name}'`);
  return node;
}

/** The physical replication members (not the logical copy `target`), the primary included. */
function members(sb: Sandbox): ServerNode[] {
  return sb.nodes().filter((n) => n.name !== TARGET_NAME);
}

function isDown(sb: Sandbox, name: string): boolean {
  return sb.state()?.down?.includes(name) ?? false;
}

function setDown(sb: Sandbox, name: string, down: boolean): void {
  sb.update((s) => {
    const others = (s.down ?? []).filter((n) => n !== name);
    return { ...s, down: down ? [...others, name] : others };
  });
}

export async function failover(sb: Sandbox): Promise<void> {
  const old = sb.primaryName();
  const standbys = members(sb).filter((n) => n.name !== old && !isDown(sb, n.name));
  const candidate = await mostAdvanced(standbys);
  if (!candidate) throw new SandboxError('failover needs a running standby that is not paused');
  // Marked first: the sandbox counts as up without it from now on.
  setDown(sb, old, true);
  await serverOf(sb, old).stop('immediate');
  await promote(sb, candidate);
  await follow(
    candidate,
    standbys.filter((n) => n !== candidate),
  );
}

/** The standby with the most WAL replayed, so that the others can follow it; a paused one never. */
async function mostAdvanced(standbys: ServerNode[]): Promise<ServerNode | undefined> {
  let best: { node: ServerNode; lsn: bigint } | undefined;
  for (const node of standbys) {
    const [row] = await node.query(
      "SELECT pg_is_wal_replay_paused() AS paused, pg_last_wal_replay_lsn() - '0/0'::pg_lsn AS lsn",
    );
    if (row.paused) continue;
    const lsn = BigInt(String(row.lsn).split('.')[0] ?? '0');
    if (!best || lsn > best.lsn) best = { node, lsn };
  }
  return best?.node;
}

export async function switchover(sb: Sandbox, name: string): Promise<void> {
  if (name === TARGET_NAME)
    throw new SandboxError(`${TARGET_NAME} is a logical copy, not a standby: no switchover to it`);
  if (name === sb.primaryName()) throw new SandboxError(`${name} is the primary already`);
  const old = serverOf(sb, sb.primaryName());
  const chosen = serverOf(sb, name);
  const others = members(sb).filter((n) => n.name !== old.name && n.name !== name && !isDown(sb, n.name));
  // A clean shutdown first: the walsenders send every record, the shutdown checkpoint included, before
  // the primary exits, so the old primary can follow the new one without a rewind.
  setDown(sb, old.name, true);
  await old.stop('fast');
  await promote(sb, chosen);
  await follow(chosen, others);
  await rejoin(sb, old, chosen);
}

async function promote(sb: Sandbox, node: ServerNode): Promise<void> {
  await node.promote();
  await waitUntil(async () => !(await node.query('SELECT pg_is_in_recovery() AS r'))[0].r, `${node.name} promoted`);
  sb.update((s) => ({ ...s, primary: node.name }));
  for (const other of members(sb).filter((n) => n.name !== node.name))
    await node.query(
      `SELECT pg_create_physical_replication_slot($1, true)
        WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`,
      [slotName(other.name)],
    );
  await updateRoutes(sb);
}

/** Running standbys point at the new primary (primary_conninfo is reloadable); they follow its timeline. */
async function follow(primary: ServerNode, standbys: ServerNode[]): Promise<void> {
  for (const standby of standbys) {
    await standby.query(`ALTER SYSTEM SET primary_conninfo = '${primaryConninfo(primary.port, standby.name)}'`);
    await standby.query('SELECT pg_reload_conf()');
  }
  await waitForFollowing(primary, standbys);
}

/**
 * Until each standby streams the primary's current timeline: one that comes from an older timeline first
 * streams that one up to the fork, and its receiver restarts on the new one (a moment with no walsender).
 */
async function waitForFollowing(primary: ServerNode, standbys: ServerNode[]): Promise<void> {
  await waitForStreaming(
    primary,
    standbys.map((s) => s.name),
    30_000,
    (message) => new SandboxError(message),
  );
  const [{ tli }] = await primary.query(
    "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tli",
  );
  for (const standby of standbys)
    await waitUntil(
      async () =>
        (await standby.query("SELECT received_tli AS t FROM pg_stat_wal_receiver WHERE status = 'streaming'"))[0]?.t ===
        tli,
      `${standby.name} streaming timeline ${tli} from ${primary.name}`,
      30_000,
    );
}

/** A stopped old primary back as a standby of the new one. */
async function rejoin(sb: Sandbox, node: ServerNode, primary: ServerNode): Promise<void> {
  fs.writeFileSync(path.join(node.dataDir, 'standby.signal'), '');
  writeConfig(node.dataDir, {
    ...BASE_CONFIG,
    ...(node.name === PRIMARY_NAME ? PRIMARY_CONFIG : {}),
    primary_conninfo: primaryConninfo(primary.port, node.name),
    primary_slot_name: slotName(node.name),
  });
  await node.start();
  setDown(sb, node.name, false);
  await waitForFollowing(primary, [node]);
  await updateRoutes(sb);
}

export async function down(sb: Sandbox, name: string): Promise<void> {
  setDown(sb, name, true);
  await serverOf(sb, name).stop('immediate');
  await updateRoutes(sb);
}

export async function up(sb: Sandbox, name: string): Promise<void> {
  await serverOf(sb, name).start();
  setDown(sb, name, false);
  await updateRoutes(sb);
}

/** Writes the proxy's routes, when there is a proxy: the primary if it runs, and every running standby. */
export async function updateRoutes(sb: Sandbox): Promise<void> {
  const state = sb.state();
  if (!state?.proxy) return;
  const running = members(sb).filter((n) => n.running() && !isDown(sb, n.name));
  const primary = running.find((n) => n.name === sb.primaryName());
  writeRoutes(sb.folder, {
    rw: primary?.port ?? null,
    ro: running.filter((n) => n.name !== primary?.name).map((n) => n.port),
  });
}

export async function startSandboxProxy(sb: Sandbox): Promise<void> {
  if (sb.state()?.proxy?.pid) return;
  const rwPort = await freePort();
  let roPort = await freePort();
  while (roPort === rwPort) roPort = await freePort();
  sb.update((s) => ({ ...s, proxy: { rwPort, roPort } }));
  await updateRoutes(sb);
  const pid = await startProxy(sb.folder, rwPort, roPort);
  sb.update((s) => ({ ...s, proxy: { rwPort, roPort, ...(pid ? { pid } : {}) } }));
}

export async function stopSandboxProxy(sb: Sandbox): Promise<void> {
  const pid = sb.state()?.proxy?.pid;
  if (pid) signal(pid, 'SIGTERM');
  removeRoutes(sb.folder);
  sb.update((s) => ({ ...s, proxy: undefined }));
}

/**
 * Back to the sandbox as built after a failover or switchover: every member a failover killed (not those a
 * `down=` fault holds) is rebuilt as a standby of the current primary (its data may hold writes the others
 * never got), then a switchover back to us-east, and the logical copy's slot made whole again.
 */
export async function restoreBuiltPrimary(
  sb: Sandbox,
  rebuild: (name: string, primary: ServerNode) => Promise<void>,
): Promise<void> {
  const state = sb.requireState();
  const heldDown = state.faults.filter((f) => f.startsWith('down=')).map((f) => f.slice('down='.length));
  const killed = (state.down ?? []).filter((name) => !heldDown.includes(name));
  for (const name of killed) {
    await rebuild(name, serverOf(sb, sb.primaryName()));
    setDown(sb, name, false);
  }
  if (sb.primaryName() !== PRIMARY_NAME) await switchover(sb, PRIMARY_NAME);
  sb.update((s) => ({ ...s, primary: undefined }));
  await restoreTargetSlot(serverOf(sb, PRIMARY_NAME));
  await updateRoutes(sb);
}

/**
 * us-east's slot for the logical copy: a rebuilt us-east has none (a base backup copies no slot), and one
 * kept through a spell as a standby may have lost its WAL. The copy resumes from now; what it missed in
 * between is drift for table-drift to find.
 */
async function restoreTargetSlot(primary: ServerNode): Promise<void> {
  await primary.query(
    `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
      WHERE slot_name = $1 AND NOT active AND wal_status = 'lost'`,
    [TARGET_SLOT],
  );
  await primary.query(
    `SELECT pg_create_logical_replication_slot($1, 'pgoutput')
      WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`,
    [TARGET_SLOT],
  );
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new SandboxError(`${what}: not done after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
