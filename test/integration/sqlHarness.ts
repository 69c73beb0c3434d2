import type { ResolvedConnection, RoleBinding } from '../../src/core/connections';
import { SessionPool } from '../../src/core/sql/sessionPool';
import { diffTable, sessionSide, type DiffOptions } from '../../src/core/diff';
import { executeSqlCell, SqlCellOptions } from '../../src/core/sql/execute';
import { NodePostgresClient } from '../../src/drivers/pgClient';
import type { PgNode } from '../helpers/pgCluster';

/** A resolved connection for a test server, as the connections module would produce it. */
export function connectionTo(
  node: Pick<PgNode, 'port'>,
  name: string,
  extra: Partial<ResolvedConnection> = {},
): ResolvedConnection {
  return {
    name,
    host: '127.0.0.1',
    port: node.port,
    database: 'postgres',
    user: 'postgres',
    sslmode: 'disable',
    allowWrites: false,
    passwordSource: 'none',
    ...extra,
  };
}

export function bindingsOf(roles: Record<string, ResolvedConnection[]>): Map<string, RoleBinding> {
  return new Map(Object.entries(roles).map(([role, connections]) => [role, { role, connections }]));
}

export function newPool(password?: string): SessionPool {
  return new SessionPool(new NodePostgresClient(async () => password), {
    connectTimeoutMs: 3000,
    applicationName: 'cnbook-test',
  });
}

/** Runs a SQL cell with test defaults; any option can be overridden. */
export function runCell(
  source: string,
  bindings: Map<string, RoleBinding>,
  pool: SessionPool,
  overrides: Partial<SqlCellOptions> = {},
) {
  return executeSqlCell(source, {
    bindings,
    defaultRole: 'primary',
    pool,
    statementTimeoutMs: 10_000,
    lockTimeoutMs: 1000,
    maxRowsStored: 1000,
    params: {},
    writesPermitted: false,
    osUser: 'tester',
    ...overrides,
  });
}

/** A table diff from server `a` (as `src`) to `b` (as `dst`) on the pool's sessions, 1 s query timeout. */
export function diffBetween(pool: SessionPool, a: PgNode, b: PgNode) {
  const side = (node: PgNode, name: string) => sessionSide(pool, connectionTo(node, name), 1000);
  return (options: DiffOptions) => diffTable(side(a, 'src'), side(b, 'dst'), options);
}
