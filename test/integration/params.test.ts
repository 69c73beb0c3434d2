import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandalone, type PgServer } from '../helpers/pgCluster';
import { bindingsOf, connectionTo, newPool, runCell } from './sqlHarness';

let server: PgServer;

const HOSTILE = [
  "x'; DROP TABLE guard; --",
  "\\'; DROP TABLE guard; --",
  'ends in a backslash \\',
  '"; DROP TABLE guard; --',
  '$$; DROP TABLE guard; $$',
  "E'\\x27' /* ; */",
  'ä 😀',
];

beforeAll(async () => {
  server = await startStandalone();
  await server.query('CREATE TABLE guard (id int); INSERT INTO guard VALUES (1)');
});
afterAll(async () => server?.destroy());

describe('psql-style :\'name\' and :"name" on a real server', () => {
  it.each(['on', 'off'])('a hostile literal reads back as itself (standard_conforming_strings %s)', async (setting) => {
    const pool = newPool();
    const bindings = bindingsOf({ primary: [connectionTo(server, 'main')] });
    try {
      for (const value of HOSTILE) {
        const run = await runCell(`SET standard_conforming_strings = ${setting}; SELECT :'v' AS v`, bindings, pool, {
          params: { v: value },
        });
        expect(run.payload.results[0]?.error, value).toBeUndefined();
        expect(run.payload.results[0]?.statements?.[1]?.rows, value).toEqual([[value]]);
      }
    } finally {
      await pool.closeAll();
    }
    expect(await server.query('SELECT count(*)::int AS n FROM guard')).toEqual([{ n: 1 }]);
  });

  it('a hostile table name is one quoted name: the table of that name, or an error naming it', async () => {
    const name = `odd"; DROP TABLE guard; --`;
    await server.query(`CREATE TABLE "${name.replace(/"/g, '""')}" (v text)`);
    await server.query(`INSERT INTO "${name.replace(/"/g, '""')}" VALUES ('found')`);
    const pool = newPool();
    const bindings = bindingsOf({ primary: [connectionTo(server, 'main')] });
    try {
      const found = await runCell('SELECT v FROM :"t"', bindings, pool, { params: { t: `public.${name}` } });
      expect(found.payload.results[0]?.statements?.[0]?.rows).toEqual([['found']]);
      const missing = await runCell('SELECT * FROM :"t"', bindings, pool, { params: { t: 'guard; SELECT 1' } });
      expect(missing.payload.results[0]?.error?.sqlstate).toBe('42P01');
      expect(missing.payload.results[0]?.error?.message).toContain('"guard; SELECT 1"');
    } finally {
      await pool.closeAll();
    }
    expect(await server.query('SELECT count(*)::int AS n FROM guard')).toEqual([{ n: 1 }]);
  });

  it("a secret-named parameter's value is taken out of what the server says back; another's is kept", async () => {
    const pool = newPool();
    const bindings = bindingsOf({ primary: [connectionTo(server, 'main')] });
    try {
      const secret = 'hunter2"\\ in quotes';
      const sql = 'SELECT :api_password::int AS n; SELECT :other::int AS n';
      const run = await runCell(sql, bindings, pool, { params: { api_password: secret, other: 'not-a-number' } });
      const error = run.payload.results[0]?.error;
      expect(error?.sqlstate).toBe('22P02');
      expect(error?.message).toBe('invalid input syntax for type integer: "***"');
      expect(JSON.stringify(run.payload)).not.toContain('hunter2');
      const other = await runCell('SELECT :other::int AS n', bindings, pool, { params: { other: 'not-a-number' } });
      expect(other.payload.results[0]?.error?.message).toBe('invalid input syntax for type integer: "not-a-number"');
    } finally {
      await pool.closeAll();
    }
  });
});
