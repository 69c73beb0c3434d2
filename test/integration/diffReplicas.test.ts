import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffTable, sessionSide } from '../../src/core/diff';
import { startCluster, startStandalone, waitForReplay, type PgCluster, type PgServer } from '../helpers/pgCluster';
import { connectionTo, newPool } from './sqlHarness';

let cluster: PgCluster;
let publisher: PgServer;
let subscriber: PgServer;
const pool = newPool();

const TABLE = `CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric)`;
const FILL = `INSERT INTO accounts SELECT g, 'owner ' || g, g * 10 FROM generate_series(1, 5000) g`;

beforeAll(async () => {
  // The replica applies WAL a second late, so that what the primary writes is for a while not on it.
  [cluster, publisher, subscriber] = await Promise.all([
    startCluster({ replicas: 1, replicaConfig: { recovery_min_apply_delay: '1s' } }),
    startStandalone({ primaryConfig: { wal_level: 'logical', max_replication_slots: '4' } }),
    startStandalone(),
  ]);
  await cluster.primary.query(`${TABLE}; ${FILL}`);
  await waitForReplay(cluster);
  await publisher.query(`${TABLE}; ${FILL}; CREATE PUBLICATION pub FOR TABLE accounts`);
  await subscriber.query(TABLE);
  await subscriber.query(
    `CREATE SUBSCRIPTION sub CONNECTION 'host=127.0.0.1 port=${publisher.port} user=postgres dbname=postgres' PUBLICATION pub`,
  );
  for (let i = 0; i < 300; i++) {
    const [row] = await subscriber.query('SELECT count(*)::int AS n FROM accounts');
    if (row.n === 5000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
});
afterAll(async () => {
  await pool.closeAll();
  await subscriber?.query('DROP SUBSCRIPTION IF EXISTS sub').catch(() => undefined);
  await Promise.all([cluster?.destroy(), publisher?.destroy(), subscriber?.destroy()]);
});

describe('diff on replicas', () => {
  it('on a streaming replica while the primary writes, what the replica had not replayed yet is in flight, not drift', async () => {
    const source = sessionSide(pool, connectionTo(cluster.primary, 'primary'), 1000);
    const target = sessionSide(pool, connectionTo(cluster.replicas[0]!, 'replica'), 1000);
    let writing = true;
    let writes = 0;
    const writer = (async () => {
      while (writing) {
        await cluster.primary.query(`UPDATE accounts SET balance = balance + 1 WHERE id = ${1 + (writes % 5000)}`);
        writes++;
      }
    })();
    await cluster.primary.query('UPDATE accounts SET owner = upper(owner) WHERE id <= 50');
    const result = await diffTable(source, target, {
      table: 'accounts',
      initialChunkRows: 1000,
      settleMs: 20_000,
      onProgress: (p) => {
        // The scan is over when the last chunk reports every row: the writer stops before the recheck.
        if (p.sourceRows >= 5000) writing = false;
      },
    });
    writing = false;
    await writer;
    expect(writes).toBeGreaterThan(0);
    expect(result.replay).toBe('caught-up');
    expect({
      missingInTarget: result.missingInTarget,
      missingInSource: result.missingInSource,
      changed: result.changed,
    }).toEqual({
      missingInTarget: 0,
      missingInSource: 0,
      changed: 0,
    });
    // The 50 rows updated just before the scan were a second away from the replica when it read them.
    expect(result.inFlight).toBeGreaterThanOrEqual(1);
  });

  it('on a logical subscriber, finds the rows changed behind replication', async () => {
    await subscriber.query(`UPDATE accounts SET balance = 0 WHERE id IN (7, 4000); DELETE FROM accounts WHERE id = 99;
      INSERT INTO accounts VALUES (9999, 'stray', 1)`);
    const result = await diffTable(
      sessionSide(pool, connectionTo(publisher, 'publisher'), 1000),
      sessionSide(pool, connectionTo(subscriber, 'subscriber'), 1000),
      { table: 'accounts', initialChunkRows: 700 },
    );
    expect(result.replay).toBe('independent');
    expect(result.keys).toEqual({
      missingInTarget: [['99']],
      missingInSource: [['9999']],
      changed: [['7'], ['4000']],
      inFlight: [],
    });
    expect(result.chunks).toBeGreaterThan(1);
  });
});
