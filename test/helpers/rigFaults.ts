/**
 * Faults made by hand on the real-cluster rig (test/integration/runbooksCluster.test.ts), with the plain
 * SQL an operator or a broken deploy would run, not the sandbox's fault code: what the runbooks must find
 * on any cluster, not only on the one that injects them itself.
 */
import type { DiagnosedProblem } from '../../src/core/diagnosis/model';
import { PgCluster, PgNode, PgServer, waitForReplay } from './pgCluster';

export interface Rig {
  cluster: PgCluster;
  copy: PgServer;
}

/** The rig's connection names (in its connections file): none is a role's or a sandbox server's. */
export const RIG_NAMES = {
  primary: 'pg-main',
  replicas: ['pg-standby-1', 'pg-standby-2'],
  target: 'reporting',
} as const;

export interface RigFault {
  name: string;
  /** The problem the diagnosis must name first: its type and the guide's flowchart node of its cause. */
  named: Pick<DiagnosedProblem, 'type' | 'causeNode'>;
  /** The connection the problem's evidence must point at. */
  on: string;
  /** The runbooks whose flow covers it (session-consistency covers a paused replay too, in ~27 s: left out). */
  runbooks: string[];
  inject(rig: Rig): Promise<void>;
  clear(rig: Rig): Promise<void>;
}

function firstReplica(rig: Rig): PgNode {
  const [replica] = rig.cluster.replicas;
  if (!replica) throw new Error('the rig has no replica');
  return replica;
}

async function waitUntil(what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`${what} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const ORPHAN_IDS = [990_001, 990_002, 990_003];
const DRIFTED_ORDER = 42;
const PREPARED_GID = 'rig_checkout_7';

const replayPaused: RigFault = {
  name: 'replay paused on a replica',
  named: { type: 'eventual', causeNode: 'Config' },
  on: RIG_NAMES.replicas[0],
  runbooks: ['eventual-consistency', 'monitoring', 'orders-vs-items', 'triage'],
  async inject(rig) {
    const replica = firstReplica(rig);
    await replica.query('SELECT pg_wal_replay_pause()');
    await waitUntil(`${replica.name} did not pause`, async () => {
      const [row] = await replica.query("SELECT pg_get_wal_replay_pause_state() = 'paused' AS paused");
      return row.paused === true;
    });
    // The primary keeps taking writes, as in production: WAL the paused replica does not replay.
    await rig.cluster.primary.query('UPDATE orders SET status = status WHERE id = 1');
  },
  async clear(rig) {
    await firstReplica(rig).query('SELECT pg_wal_replay_resume()');
    await waitForReplay(rig.cluster);
  },
};

const orphansBehindNotValidKey: RigFault = {
  name: 'orphaned items behind a NOT VALID foreign key',
  named: { type: 'strong', causeNode: 'Integrity' },
  on: RIG_NAMES.primary,
  runbooks: ['monitoring', 'orders-vs-items', 'reconciliation', 'strong-consistency', 'triage'],
  async inject(rig) {
    // The key dropped for a bulk load and added back NOT VALID (to skip the long validating scan).
    await rig.cluster.primary.query(`BEGIN;
      ALTER TABLE order_items DROP CONSTRAINT order_items_order_fk;
      INSERT INTO order_items SELECT id, id, 9.99, 1 FROM unnest(ARRAY[${ORPHAN_IDS.join(', ')}]) AS id;
      ALTER TABLE order_items ADD CONSTRAINT order_items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;
      COMMIT`);
  },
  async clear(rig) {
    await rig.cluster.primary.query(`DELETE FROM order_items WHERE id IN (${ORPHAN_IDS.join(', ')});
      ALTER TABLE order_items VALIDATE CONSTRAINT order_items_order_fk`);
    await waitForReplay(rig.cluster);
    // The copy received the orphans too (its apply worker skips foreign keys): wait for their delete there.
    await waitUntil('the copy did not delete the orphans', async () => {
      const [row] = await rig.copy.query('SELECT count(*)::int AS n FROM order_items WHERE id = ANY($1)', [ORPHAN_IDS]);
      return row.n === 0;
    });
  },
};

const changedOnTheCopyOnly: RigFault = {
  name: 'a row changed on the logical copy only',
  named: { type: 'eventual', causeNode: 'Capacity' },
  on: RIG_NAMES.target,
  runbooks: ['eventual-consistency', 'monitoring', 'reconciliation', 'triage'],
  async inject(rig) {
    await rig.copy.query("UPDATE orders SET status = 'refunded' WHERE id = $1", [DRIFTED_ORDER]);
  },
  async clear(rig) {
    const [row] = await rig.cluster.primary.query('SELECT status FROM orders WHERE id = $1', [DRIFTED_ORDER]);
    await rig.copy.query('UPDATE orders SET status = $1 WHERE id = $2', [row.status, DRIFTED_ORDER]);
  },
};

const preparedLeftOpen: RigFault = {
  name: 'a prepared transaction left open',
  named: { type: 'strong', causeNode: 'Timeout' },
  on: RIG_NAMES.primary,
  runbooks: ['monitoring', 'strong-consistency', 'triage'],
  async inject(rig) {
    await rig.cluster.primary.query(
      `BEGIN; UPDATE users SET updated_at = updated_at WHERE id = 7; PREPARE TRANSACTION '${PREPARED_GID}'`,
    );
  },
  async clear(rig) {
    await rig.cluster.primary.query(`ROLLBACK PREPARED '${PREPARED_GID}'`);
  },
};

export const RIG_FAULTS: RigFault[] = [replayPaused, orphansBehindNotValidKey, changedOnTheCopyOnly, preparedLeftOpen];
