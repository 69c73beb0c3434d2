/**
 * A logical copy of a throwaway primary, set up the way a reporting database or a downstream service
 * usually is: its own server (own initdb, so its own system identifier), the tables created by hand,
 * a publication of just those tables, and a subscription that copies their rows first and then follows.
 */
import type { PgNode } from './throwaway';

export interface LogicalCopyOptions {
  /** The tables' DDL, run on the copy first: logical replication carries rows, never schema. */
  schema: string;
  tables: readonly string[];
  /** Of the publication, the subscription and its slot; default 'copy'. */
  name?: string;
  /** For the initial copy of every table; default 30 s. */
  timeoutMs?: number;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Makes `copy` (a server of its own, from startStandalone) a logical copy of the publisher's tables;
 * returns once every table is copied and the subscription streams (state 'ready').
 */
export async function makeLogicalCopy(copy: PgNode, publisher: PgNode, options: LogicalCopyOptions): Promise<void> {
  const name = options.name ?? 'copy';
  const bad = [name, ...options.tables].filter((n) => !IDENTIFIER.test(n));
  if (bad.length > 0) throw new Error(`not a plain lower-case identifier: ${bad.join(', ')}`);
  const [{ wal_level: walLevel }] = await publisher.query('SHOW wal_level');
  if (walLevel !== 'logical')
    throw new Error(
      `${publisher.name} has wal_level=${walLevel}; a logical copy needs primaryConfig { wal_level: 'logical' }`,
    );
  await copy.query(options.schema);
  await publisher.query(`CREATE PUBLICATION ${name} FOR TABLE ${options.tables.join(', ')}`);
  // One statement per query: CREATE SUBSCRIPTION that creates its slot refuses a transaction block.
  const conninfo = `host=${publisher.host} port=${publisher.port} user=postgres dbname=postgres application_name=${name}`;
  await copy.query(`CREATE SUBSCRIPTION ${name} CONNECTION '${conninfo}' PUBLICATION ${name}`);
  await waitForInitialCopy(copy, options.tables.length, options.timeoutMs ?? 30_000);
}

async function waitForInitialCopy(copy: PgNode, tables: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await copy.query(
      "SELECT count(*)::int AS total, count(*) FILTER (WHERE srsubstate = 'r')::int AS ready FROM pg_subscription_rel",
    );
    if (row.total === tables && row.ready === tables) return;
    if (Date.now() > deadline)
      throw new Error(`the logical copy has ${row.ready} of ${tables} tables ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
