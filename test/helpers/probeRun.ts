import type { RoleBinding } from '../../src/core/connections';
import { executeProbeCell } from '../../src/core/probes/execute';
import type { Finding } from '../../src/core/probes/types';
import type { SessionPool } from '../../src/core/sql/sessionPool';

/** What a test's probe run chooses; the rest (default role, timeouts) is the same for every test. */
export interface ProbeRunOptions {
  bindings: ReadonlyMap<string, RoleBinding>;
  pool: SessionPool;
  /** Default false: probes stay read-only unless the test is about writing. */
  writesPermitted?: boolean;
  signal?: AbortSignal;
  confirmWrite?: (question: string) => Promise<boolean>;
}

/** Runs a cnprobe cell against test servers, with the primary as default role and the tests' timeouts. */
export function runProbeCell(source: string, options: ProbeRunOptions): Promise<Finding[]> {
  const { writesPermitted = false, ...chosen } = options;
  return executeProbeCell(source, {
    defaultRole: 'primary',
    statementTimeoutMs: 10_000,
    lockTimeoutMs: 1000,
    writesPermitted,
    ...chosen,
  });
}
