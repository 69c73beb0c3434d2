import { isObject } from './json';
import type { JsonObject } from './model';
import type { Expanded } from './compact';

/*
 * SQL results, `{"version", "results": [{"connection", "provenance", "role"?, "statements"?, ...}], ...}`:
 * what every run's provenance holds alike (host, database, user, server version, start...) stored once as
 * the payload's `"provenance"`, and in each run only the rest, without what follows from the run itself
 * (its connection and role, the duration from its start and finish, the row count from its statements).
 */

/** The order in which cnbook writes a provenance's keys (src/core/sql/execute.ts): how a compact one is put back. */
const PROVENANCE_KEYS = [
  'connection',
  'role',
  'host',
  'port',
  'database',
  'user',
  'startedAt',
  'finishedAt',
  'durationMs',
  'rowCount',
  'osUser',
  'readOnly',
  'serverVersion',
  'inRecovery',
  'walLsn',
  'backendPid',
];

export function compactResult(payload: unknown): unknown {
  if (!isObject(payload) || !Array.isArray(payload.results) || 'provenance' in payload) return undefined;
  const runs = payload.results;
  const shared = sharedProvenance(runs);
  const results = runs.map((run) => compactRun(run, shared));
  const { results: _results, ...rest } = payload;
  return Object.keys(shared).length > 0
    ? { version: rest.version, provenance: shared, ...rest, results }
    : { ...rest, results };
}

export function expandResult(compact: unknown): Expanded {
  if (!isObject(compact) || !Array.isArray(compact.results)) return 'a compact result payload has no "results" list';
  if (compact.provenance !== undefined && !isObject(compact.provenance))
    return 'the "provenance" of a compact result payload is not an object';
  const shared = compact.provenance ?? {};
  const { provenance: _shared, results, ...rest } = compact;
  const { version, ...others } = rest;
  const expanded = {
    ...(version === undefined ? {} : { version }),
    results: results.map((run) => expandRun(run, shared)),
    ...others,
  };
  return { value: expanded };
}

/** The provenance fields (not derived ones) that two or more runs all hold with the same value. */
function sharedProvenance(runs: readonly unknown[]): JsonObject {
  const provenances = runs.map((run) => (isObject(run) && isObject(run.provenance) ? run.provenance : undefined));
  const first = provenances[0];
  if (runs.length < 2 || !first || provenances.some((p) => p === undefined)) return {};
  const same = (key: string) =>
    provenances.every((p) => p && key in p && JSON.stringify(p[key]) === JSON.stringify(first[key]));
  return Object.fromEntries(Object.entries(first).filter(([key]) => !DERIVED_KEYS.includes(key) && same(key)));
}

function compactRun(run: unknown, shared: JsonObject): unknown {
  if (!isObject(run) || !isObject(run.provenance)) return run;
  const derived = derivedProvenance(run);
  const provenance = Object.fromEntries(
    Object.entries(run.provenance).filter(([key, value]) => !(key in shared) && derived[key] !== value),
  );
  return { ...run, provenance };
}

function expandRun(run: unknown, shared: JsonObject): unknown {
  if (!isObject(run) || !isObject(run.provenance)) return run;
  const own = run.provenance;
  const derived = derivedProvenance({ ...run, provenance: { ...shared, ...own } });
  const provenance: JsonObject = {};
  for (const key of PROVENANCE_KEYS) {
    const value = key in own ? own[key] : key in shared ? shared[key] : derived[key];
    if (value !== undefined) provenance[key] = value;
  }
  for (const [key, value] of [...Object.entries(own), ...Object.entries(shared)])
    if (!(key in provenance)) provenance[key] = value;
  return { ...run, provenance };
}

const DERIVED_KEYS = ['connection', 'role', 'durationMs', 'rowCount'];

/** What a run's provenance would say from the run itself: its connection and role, duration and rows. */
function derivedProvenance(run: JsonObject): Record<string, unknown> {
  const provenance = isObject(run.provenance) ? run.provenance : {};
  const started = typeof provenance.startedAt === 'string' ? Date.parse(provenance.startedAt) : NaN;
  const finished = typeof provenance.finishedAt === 'string' ? Date.parse(provenance.finishedAt) : NaN;
  const statements = Array.isArray(run.statements) ? run.statements : undefined;
  const rows = statements?.map((s) => (isObject(s) && typeof s.rowCount === 'number' ? s.rowCount : NaN));
  const derived: Record<string, unknown> = {
    connection: typeof run.connection === 'string' ? run.connection : undefined,
    role: typeof run.role === 'string' ? run.role : undefined,
    durationMs: Number.isFinite(finished - started) ? finished - started : undefined,
    rowCount: rows ? rows.reduce((sum, n) => sum + n, 0) : 0,
  };
  for (const [key, value] of Object.entries(derived)) {
    if (value === undefined || (typeof value === 'number' && !Number.isFinite(value))) delete derived[key];
  }
  return derived;
}
