/**
 * The read-only guard, attacked on a real server. Three layers: the session is read-only from its startup
 * packet (default_transaction_read_only), the statement text is refused before anything runs, and the
 * server's transaction status after each statement stops a cell that ended its transaction. Each layer is
 * tested with the others turned off, and a control run with all three off shows the attack does work.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startStandalone, PgServer } from '../helpers/pgCluster';
import type { BoundStatement } from '../../src/core/sql/client';
import { SessionPool } from '../../src/core/sql/sessionPool';
import { ReadOnlyRefusal } from '../../src/core/sql/execute';
import { NodePostgresClient } from '../../src/drivers/pgClient';
import type { PgSessionOptions } from '../../src/drivers/pgSession';
import { bindingsOf, connectionTo, runCell } from './sqlHarness';

let server: PgServer;
const marker = path.join(os.tmpdir(), `cnbook-guard-${process.pid}`);

beforeAll(async () => {
  server = await startStandalone();
});
afterAll(async () => {
  fs.rmSync(marker, { force: true });
  await server?.destroy();
});
beforeEach(async () => {
  await server.query(`DROP TABLE IF EXISTS victim; CREATE TABLE victim (id int PRIMARY KEY);
    INSERT INTO victim SELECT generate_series(1, 7); GRANT ALL ON victim TO PUBLIC;`);
});

const victimRows = async () => (await server.query('SELECT count(*)::int AS n FROM victim'))[0].n as number;

function poolWith(guard: Partial<PgSessionOptions> = {}): SessionPool {
  return new SessionPool(new NodePostgresClient(async () => undefined, guard), {
    connectTimeoutMs: 3000,
    applicationName: 'cnbook-guard-test',
  });
}

const bindings = () => bindingsOf({ primary: [connectionTo(server, 'main', { allowWrites: true })] });

/** Runs statements on a session directly, past the statement-text layer, as a read-only transaction. */
async function runPastTextLayer(guard: Partial<PgSessionOptions>, texts: string[]) {
  const pool = poolWith(guard);
  try {
    const session = await pool.get(connectionTo(server, 'main'));
    const statements: BoundStatement[] = texts.map((text) => ({ text, values: [], offset: 0 }));
    return await session
      .runTransaction(statements, {
        readOnly: true,
        statementTimeoutMs: 5000,
        lockTimeoutMs: 1000,
        maxRowsStored: 10,
        batchSize: 100,
      })
      .then(
        () => undefined,
        (error: Error) => error,
      );
  } finally {
    await pool.closeAll();
  }
}

const ATTACKS: string[][] = [
  ['COMMIT', 'DELETE FROM victim'],
  ['ROLLBACK', 'DELETE FROM victim'],
  ['END', 'DELETE FROM victim'],
  ['ABORT', 'DELETE FROM victim'],
  ["SELECT set_config('default_transaction_read_only', 'off', false)", 'COMMIT', 'DELETE FROM victim'],
  ['SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE', 'COMMIT', 'DELETE FROM victim'],
];

/** Ends the transaction, so that the next statement would run (and commit) on its own. */
const ENDS_TRANSACTION = ATTACKS.slice(0, 4);

async function throughCell(guard: Partial<PgSessionOptions>, texts: string[]) {
  const pool = poolWith(guard);
  const refused = await runCell(texts.join(';\n'), bindings(), pool).catch((e: Error) => e);
  await pool.closeAll();
  return refused;
}

describe('read-only guard: with any one layer off, the other two stop the write', () => {
  it('control: with all three layers off the attack deletes rows (so the tests below can fail)', async () => {
    await runPastTextLayer({ sessionReadOnly: false, checkEachStatement: false }, ['COMMIT', 'DELETE FROM victim']);
    expect(await victimRows()).toBe(0);
  });

  it.each(ATTACKS)('statement-text layer off: %s; …', async (...texts) => {
    const error = await runPastTextLayer({}, texts);
    expect(error?.message).toMatch(/read-only transaction|default_transaction_read_only off/);
    expect(await victimRows()).toBe(7);
  });

  it.each(ATTACKS)('session layer off: %s; …', async (...texts) => {
    expect(await throughCell({ sessionReadOnly: false }, texts)).toBeInstanceOf(ReadOnlyRefusal);
    expect(await victimRows()).toBe(7);
  });

  it.each(ATTACKS)('server-status layer off: %s; …', async (...texts) => {
    expect(await throughCell({ checkEachStatement: false }, texts)).toBeInstanceOf(ReadOnlyRefusal);
    expect(await victimRows()).toBe(7);
  });
});

describe('read-only guard: each layer alone', () => {
  // The session layer alone is undone by a statement that turns the session's default off first
  // (set_config, SET SESSION CHARACTERISTICS): that is what the other two layers are for.
  it.each(ENDS_TRANSACTION)('the session layer alone stops a write after %s', async (...texts) => {
    const error = await runPastTextLayer({ checkEachStatement: false }, texts);
    expect(error?.message).toMatch(/read-only transaction/);
    expect(await victimRows()).toBe(7);
  });

  it.each(ATTACKS)('the server-status layer alone: %s; …', async (...texts) => {
    const error = await runPastTextLayer({ sessionReadOnly: false }, texts);
    expect(error?.message).toMatch(/ended the read-only transaction|default_transaction_read_only off/);
    expect(await victimRows()).toBe(7);
  });

  it.each(ATTACKS)('the statement-text layer alone: %s; …', async (...texts) => {
    const refused = await throughCell({ sessionReadOnly: false, checkEachStatement: false }, texts);
    expect(refused).toBeInstanceOf(ReadOnlyRefusal);
    expect((refused as ReadOnlyRefusal).violations[0]).toMatchObject({ statementIndex: 0, line: 1 });
    expect(await victimRows()).toBe(7);
  });
});

const HOSTILE_CELLS: [string, RegExp][] = [
  ['COMMIT; DELETE FROM victim', /COMMIT ends or changes the read-only transaction/],
  ['SELECT 1;\nROLLBACK;\nCREATE TABLE pwned (id int)', /line 2, column 1: ROLLBACK/],
  ["SELECT set_config('transaction_read_only', 'off', true); DELETE FROM victim", /set_config\(\)/],
  [`COPY (SELECT 1) TO PROGRAM 'touch ${marker}'`, /COPY TO PROGRAM acts outside the transaction/],
  [`COPY victim TO '${marker}'`, /COPY with a server file/],
  ['SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()', /pg_terminate_backend/],
  ['SELECT pg_advisory_lock(42)', /pg_advisory_lock\(\)/],
  ['DO $$ BEGIN PERFORM pg_terminate_backend(1); END $$', /pg_terminate_backend\(\) acts outside the transaction/],
  ["SELECT query_to_xml('DELETE FROM victim RETURNING 1', true, false, '')", /query_to_xml/],
  ['SELECT pg_reload_conf()', /pg_reload_conf/],
  ['SELECT pg_switch_wal()', /pg_switch_wal/],
];

describe('read-only guard: hostile cells, every layer on', () => {
  it.each(HOSTILE_CELLS)('refuses %s before anything runs', async (cell, reason) => {
    const before = (
      await server.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'")
    )[0].n;
    const pool = poolWith();
    const refused = await runCell(cell, bindings(), pool).catch((e: Error) => e);
    await pool.closeAll();
    expect(refused).toBeInstanceOf(ReadOnlyRefusal);
    expect((refused as Error).message).toMatch(reason);
    expect(await victimRows()).toBe(7);
    expect(fs.existsSync(marker)).toBe(false);
    const after = (
      await server.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'")
    )[0].n;
    expect(after).toBe(before);
  });

  it('the same side effects run in a -- @write cell once permitted', async () => {
    const pool = poolWith();
    const run = await runCell(`-- @write\nCOPY (SELECT 1) TO PROGRAM 'touch ${marker}'`, bindings(), pool, {
      writesPermitted: true,
    });
    await pool.closeAll();
    expect(run.ok).toBe(true);
    expect(fs.existsSync(marker)).toBe(true);
    expect(run.payload.results[0]?.provenance.readOnly).toBe(false);
  });

  it('a transaction-level advisory lock is allowed and gone when the cell ends', async () => {
    const pool = poolWith();
    const run = await runCell('SELECT pg_advisory_xact_lock(42)', bindings(), pool);
    const held = await server.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'");
    await pool.closeAll();
    expect(run.ok).toBe(true);
    expect(held[0].n).toBe(0);
  });

  it('records readOnly as the server reported it', async () => {
    const pool = poolWith();
    const run = await runCell('SELECT count(*) FROM victim', bindings(), pool);
    const write = await runCell('-- @write\nDELETE FROM victim WHERE id = 7', bindings(), pool, {
      writesPermitted: true,
    });
    await pool.closeAll();
    expect(run.payload.results[0]?.provenance.readOnly).toBe(true);
    expect(write.payload.results[0]?.provenance.readOnly).toBe(false);
    expect(await victimRows()).toBe(6);
  });

  it('a session stays read-only between cells: a write outside any transaction fails', async () => {
    const pool = poolWith();
    const session = await pool.get(connectionTo(server, 'main'));
    const client = (session as unknown as { client: { query(sql: string): Promise<unknown> } }).client;
    await expect(client.query('DELETE FROM victim')).rejects.toThrow(/read-only transaction/);
    await pool.closeAll();
    expect(await victimRows()).toBe(7);
  });
});

describe('read-only guard: settings a transaction begins with', () => {
  // A caller's transaction settings (the table diff sends its own) must not be a way to turn read-only off:
  // nextval is not rolled back, so a transaction that ran it read-write leaves a trace even after ROLLBACK.
  it.each(['transaction_read_only', 'default_transaction_read_only', 'role'])('refuses %s', async (name) => {
    await server.query(
      'DROP SEQUENCE IF EXISTS victim_seq; CREATE SEQUENCE victim_seq; GRANT ALL ON victim_seq TO PUBLIC',
    );
    const pool = poolWith({ sessionReadOnly: false, checkEachStatement: false });
    try {
      const session = await pool.get(connectionTo(server, 'main'));
      const options = {
        readOnly: true,
        statementTimeoutMs: 5000,
        lockTimeoutMs: 1000,
        maxRowsStored: 10,
        batchSize: 100,
      };
      const error = await session
        .runTransaction([{ text: "SELECT nextval('victim_seq')", values: [], offset: 0 }], {
          ...options,
          settings: [[name, name === 'role' ? 'postgres' : 'off']],
        })
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(error?.message).toBe(`cnbook does not set ${name} for a transaction`);
    } finally {
      await pool.closeAll();
    }
    expect((await server.query('SELECT last_value::int AS v, is_called FROM victim_seq'))[0]).toEqual({
      v: 1,
      is_called: false,
    });
  });
});
