import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/probes/types';
import { startCluster, startStandalone, waitForReplay, type PgCluster, type PgServer } from '../helpers/pgCluster';
import { runProbeCell, type ProbeRunOptions } from '../helpers/probeRun';
import { bindingsOf, connectionTo, newPool } from './sqlHarness';

let cluster: PgCluster;
let copy: PgServer;
const pool = newPool();

const LOAD = `CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), tags text[], seen timestamptz);
  INSERT INTO items SELECT g, 'item ' || g, g * 1.5, ARRAY['t' || g], '2026-01-01 00:00:00.123456+00'::timestamptz + g * interval '1 s'
  FROM generate_series(1, 3000) g;`;
// Drift of every kind on the copy: rows deleted, changed (quotes, backslashes, '' for NULL, scale, microseconds), added.
const DRIFT = `DELETE FROM items WHERE id IN (1, 1500, 3000);
  UPDATE items SET name = 'it''s a \\ "test"', price = NULL WHERE id = 10;
  UPDATE items SET name = '', seen = seen + interval '1 microsecond' WHERE id = 2000;
  UPDATE items SET tags = ARRAY['a,b', NULL] WHERE id = 2001;
  INSERT INTO items VALUES (5000, 'stray', 9.99, '{}', now()), (5001, NULL, NULL, NULL, NULL);`;
const CONTENT = `SELECT md5(string_agg(t::text, '|' ORDER BY id)) AS h, count(*)::int AS n FROM items t`;

beforeAll(async () => {
  [cluster, copy] = await Promise.all([startCluster({ replicas: 1 }), startStandalone()]);
  await Promise.all([cluster.primary.query(LOAD), copy.query(LOAD)]);
  await copy.query(DRIFT);
  await waitForReplay(cluster);
});
afterAll(async () => {
  await pool.closeAll();
  await Promise.all([cluster?.destroy(), copy?.destroy()]);
});

function bindings() {
  return bindingsOf({
    primary: [connectionTo(cluster.primary, 'primary1')],
    replica: [connectionTo(cluster.replicas[0]!, 'replica1', { allowWrites: true })],
    copy: [connectionTo(copy, 'copy-db', { allowWrites: true })],
    locked: [connectionTo(copy, 'copy-locked')],
  });
}

type Choices = Omit<ProbeRunOptions, 'bindings' | 'pool'>;

async function probe(source: string, choices: Choices = {}): Promise<Finding> {
  const findings = await runProbeCell(source, { bindings: bindings(), pool, ...choices });
  expect(findings).toHaveLength(1);
  return findings[0]!;
}

const contentOfCopy = async () => (await copy.query(CONTENT))[0] as { h: string; n: number };
const DRIFTED = { missingInTarget: 3, missingInSource: 2, changed: 3 };

describe('reconcile', () => {
  it('dry run, apply, drift gone, and the undo script restores the drift exactly', async () => {
    const drifted = await contentOfCopy();
    const dry = await probe('reconcile table=items from=primary to=copy');
    expect(dry).toMatchObject({
      severity: 'critical',
      metrics: { ...DRIFTED, inserts: 3, updates: 3, deletes: 2, batches: 1, applied: false },
      evidence: { statements: 8, shown: 8 },
    });
    expect(dry.summary).toMatch(/^dry run: 3 missing in the target, 2 missing in the source, 3 changed/);
    const { apply, undo } = dry.evidence as { apply: string; undo: string };
    expect(apply).toMatch(/DELETE FROM "items" WHERE "id" = '5000'::integer;/);
    expect(apply).toMatch(/INSERT INTO "items" .* VALUES \('1'::integer/);
    expect(undo).toContain(`'it''s a \\ "test"'::text`);
    expect(await contentOfCopy()).toEqual(drifted);

    const questions: string[] = [];
    const confirmWrite = (q: string) => (questions.push(q), Promise.resolve(true));
    const applied = await probe('reconcile table=items from=primary to=copy apply=yes batch=3', {
      writesPermitted: true,
      confirmWrite,
    });
    expect(questions).toEqual([
      `Reconcile writes to copy-db (127.0.0.1:${copy.port}/postgres): items gets 3 inserts, 3 updates and 2 deletes in 3 transactions.`,
    ]);
    expect(applied).toMatchObject({
      severity: 'ok',
      metrics: { ...DRIFTED, batches: 3, applied: true, rowsChanged: 8 },
    });
    expect(applied.metrics).toMatchObject({ afterMissingInTarget: 0, afterMissingInSource: 0, afterChanged: 0 });
    const equal = await probe('table-drift table=items source=primary target=copy');
    expect(equal).toMatchObject({ severity: 'ok', metrics: { missingInTarget: 0, missingInSource: 0, changed: 0 } });
    console.log(
      `reconcile round trip: before ${JSON.stringify(dry.metrics)}; after ${JSON.stringify(applied.metrics)}`,
    );

    await copy.query(undo);
    expect(await contentOfCopy()).toEqual(drifted);
    const again = await probe('table-drift table=items source=primary target=copy');
    expect(again.metrics).toMatchObject(DRIFTED);
  });

  it('applies nothing when the confirmation is declined', async () => {
    const before = await contentOfCopy();
    const declined = await probe('reconcile table=items from=primary to=copy apply=yes', {
      writesPermitted: true,
      confirmWrite: () => Promise.resolve(false),
    });
    expect(declined).toMatchObject({ severity: 'critical', metrics: { applied: false } });
    expect(declined.summary).toMatch(/not confirmed/);
    expect(await contentOfCopy()).toEqual(before);
  });

  it('refuses a connection without allowWrites, and a run that does not permit writes', async () => {
    const before = await contentOfCopy();
    const locked = await probe('reconcile table=items from=primary to=locked apply=yes', { writesPermitted: true });
    expect(locked).toMatchObject({
      severity: 'unknown',
      summary: expect.stringMatching(/copy-locked does not allow writes/),
    });
    const unpermitted = await probe('reconcile table=items from=primary to=copy apply=yes');
    expect(unpermitted.summary).toMatch(/writes are not permitted for this run/);
    expect(await contentOfCopy()).toEqual(before);
  });

  it('refuses to write to a node in recovery', async () => {
    const refused = await probe('reconcile table=items from=copy to=replica apply=yes', {
      writesPermitted: true,
      confirmWrite: () => Promise.reject(new Error('must not ask')),
    });
    expect(refused).toMatchObject({ severity: 'unknown', summary: expect.stringMatching(/replica1 is in recovery/) });
  });

  it('says which transactions committed when a later one fails, and compares again', async () => {
    // While the question is open someone writes a row the repair inserts: its batch fails and rolls back.
    const late = () => copy.query(`INSERT INTO items VALUES (3000, 'late', 1, NULL, NULL)`).then(() => true);
    const stopped = await probe('reconcile table=items from=primary to=copy apply=yes batch=3', {
      writesPermitted: true,
      confirmWrite: late,
    });
    expect(stopped.summary).toMatch(
      /^stopped after 2 of 3 transactions \(.*duplicate key.*\); compared again, 1 missing in the target, 0 missing in the source, 1 changed/,
    );
    expect(stopped).toMatchObject({
      severity: 'critical',
      metrics: { applied: true, batchesApplied: 2, rowsChanged: 6, afterMissingInTarget: 1, afterChanged: 1 },
    });
  });
});
