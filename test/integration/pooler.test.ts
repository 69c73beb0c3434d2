/**
 * The read-only guard behind a real PgBouncer. It refuses the startup option that makes a session read-only,
 * so the driver falls back to SET; in session pooling that SET holds for the session, in transaction pooling
 * it may land on another backend, and the statement text and the server's status after each statement
 * still stop the write. Needs Debian's pgbouncer (.ci/run installs it); skipped elsewhere, saying so.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStandalone, PgServer } from '../helpers/pgCluster';
import { pgbouncerAvailable, PgBouncer, startPgBouncer } from '../helpers/pgbouncer';
import type { BoundStatement } from '../../src/core/sql/client';
import { SessionPool } from '../../src/core/sql/sessionPool';
import { ReadOnlyRefusal } from '../../src/core/sql/execute';
import { NodePostgresClient } from '../../src/drivers/pgClient';
import type { PgSessionOptions } from '../../src/drivers/pgSession';
import { bindingsOf, connectionTo, runCell } from './sqlHarness';

if (!pgbouncerAvailable()) console.warn('pooler.test.ts skipped: no /usr/sbin/pgbouncer (apt-get install pgbouncer)');

describe.skipIf(!pgbouncerAvailable())('the read-only guard behind PgBouncer', () => {
  let server: PgServer;
  const bouncers: Record<string, PgBouncer> = {};

  beforeAll(async () => {
    server = await startStandalone();
    bouncers.session = await startPgBouncer(server.port, 'session');
    bouncers.transaction = await startPgBouncer(server.port, 'transaction');
  });
  afterAll(async () => {
    await Promise.all(Object.values(bouncers).map((b) => b.stop()));
    await server?.destroy();
  });
  beforeEach(async () => {
    await server.query('DROP TABLE IF EXISTS victim; CREATE TABLE victim AS SELECT generate_series(1, 7) AS id');
  });

  const victimRows = async () => (await server.query('SELECT count(*)::int AS n FROM victim'))[0].n as number;
  const through = (mode: string) => connectionTo(bouncers[mode]!, `via-${mode}`, { allowWrites: true });
  const pool = (guard: Partial<PgSessionOptions> = {}) =>
    new SessionPool(new NodePostgresClient(async () => undefined, guard), {
      connectTimeoutMs: 3000,
      applicationName: 'cnbook-pooler-test',
    });

  async function pastTextLayer(mode: string, guard: Partial<PgSessionOptions>, texts: string[]) {
    const p = pool(guard);
    const session = await p.get(through(mode));
    const statements: BoundStatement[] = texts.map((text) => ({ text, values: [], offset: 0 }));
    const options = { readOnly: true, statementTimeoutMs: 5000, lockTimeoutMs: 1000, maxRowsStored: 5, batchSize: 5 };
    const error = await session.runTransaction(statements, options).then(
      () => undefined,
      (e: Error) => e,
    );
    await p.closeAll();
    return error;
  }

  it('connects through a pooler that refuses startup options, and reads', async () => {
    const p = pool();
    const run = await runCell('SELECT count(*) FROM victim', bindingsOf({ primary: [through('session')] }), p);
    await p.closeAll();
    expect(run.ok, JSON.stringify(run.payload.results[0]?.error)).toBe(true);
    expect(run.payload.results[0]?.provenance.readOnly).toBe(true);
  });

  it('session pooling: the SET alone keeps a write after COMMIT from running', async () => {
    const error = await pastTextLayer('session', { checkEachStatement: false }, ['COMMIT', 'DELETE FROM victim']);
    expect(error?.message).toMatch(/read-only transaction/);
    expect(await victimRows()).toBe(7);
  });

  it('transaction pooling: the server-status layer stops the cell after COMMIT', async () => {
    const error = await pastTextLayer('transaction', {}, ['COMMIT', 'DELETE FROM victim']);
    expect(error?.message).toMatch(/ended the read-only transaction/);
    expect(await victimRows()).toBe(7);
  });

  it('transaction pooling: the statement text is refused before anything runs', async () => {
    const p = pool();
    const refused = await runCell(
      'COMMIT; DELETE FROM victim',
      bindingsOf({ primary: [through('transaction')] }),
      p,
    ).catch((e: Error) => e);
    await p.closeAll();
    expect(refused).toBeInstanceOf(ReadOnlyRefusal);
    expect(await victimRows()).toBe(7);
  });
});
