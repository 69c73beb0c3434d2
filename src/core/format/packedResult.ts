import { compareRuns, type TargetRun } from '../sql/payload';
import { hashedText } from '../sql/resultBuilder';
import { isObject } from './json';
import type { JsonObject } from './model';
import { sha256Hex } from './sha256';

/*
 * A compact SQL result (src/core/format/compactResult.ts) in a `{"result": ...}` output, without what its
 * rows already say. A statement leaves out `rowCount` when it is the number of its rows, `truncated` when
 * false, `hash` when it is the sha256 of its rows as src/core/sql/resultBuilder.ts hashes them (all rows
 * stored, so all hashed), and `columns` and `rows` when the first run's statement in the same place has the
 * same (every connection of a cell runs the same SQL, and usually gets the same answer). A run's
 * `finishedAt` is stored as its `durationMs` after the start. The payload leaves out `comparison` when it is
 * what src/core/sql/payload.ts compareRuns says of the runs. Each is left out only if it reads back exactly.
 */

/** The order in which cnbook writes a statement's keys (src/core/sql/resultBuilder.ts). */
const STATEMENT_KEYS = ['command', 'columns', 'rows', 'rowCount', 'truncated', 'hash'];
/** Kept as they are after those (never derived): the cut values of src/core/sql/cutValue.ts. */
const KEPT_KEYS = ['cutCells'];
const FROM_FIRST = ['columns', 'rows'];
/** Rows hashed on reading are bounded, so that opening a large record stays quick. */
const MAX_HASHED_CHARS = 256 * 1024;

/** The result's packed form, or undefined when it has none that reads back as exactly the compact result. */
export function packResult(compact: unknown): unknown {
  if (!isObject(compact) || !Array.isArray(compact.results)) return undefined;
  const first = firstStatements(compact.results);
  const results = compact.results.map((run, r) => packRun(run, r === 0 ? [] : first, compact.provenance));
  const packed: JsonObject = { ...compact, results };
  // Reading puts it back just before the results, where cnbook writes it.
  const keys = Object.keys(compact);
  const beforeResults = keys.indexOf('comparison') === keys.indexOf('results') - 1;
  if (beforeResults && same(derivedComparison(compact.results), compact.comparison)) delete packed.comparison;
  // Reading derives what is missing, so a result lacking something it would derive (a comparison, a hash)
  // has no packed form: it keeps the long form, which derives nothing of that.
  return same(unpackResult(packed), compact) ? packed : undefined;
}

export function unpackResult(packed: unknown): unknown {
  if (!isObject(packed) || !Array.isArray(packed.results)) return 'a result has no "results" list';
  const first = firstStatements(packed.results);
  const results = packed.results.map((run, r) => unpackRun(run, r === 0 ? [] : first, packed.provenance));
  if ('comparison' in packed) return { ...packed, results };
  const { results: _results, ...rest } = packed;
  const comparison = derivedComparison(results);
  return comparison === undefined ? { ...rest, results } : { ...rest, comparison, results };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function firstStatements(runs: readonly unknown[]): unknown[] {
  const run = runs[0];
  return isObject(run) && Array.isArray(run.statements) ? run.statements : [];
}

function packRun(run: unknown, first: readonly unknown[], shared: unknown): unknown {
  if (!isObject(run)) return run;
  const packed: JsonObject = { ...run, provenance: packProvenance(run.provenance, shared) };
  if (Array.isArray(run.statements)) packed.statements = run.statements.map((s, i) => packStatement(s, first[i]));
  return packed;
}

function unpackRun(run: unknown, first: readonly unknown[], shared: unknown): unknown {
  if (!isObject(run)) return run;
  const restored: JsonObject = { ...run, provenance: unpackProvenance(run.provenance, shared) };
  if (Array.isArray(run.statements)) restored.statements = run.statements.map((s, i) => unpackStatement(s, first[i]));
  return restored;
}

/** The run's own provenance with `durationMs` after the (shared or own) start in place of `finishedAt`. */
function packProvenance(provenance: unknown, shared: unknown): unknown {
  if (!isObject(provenance) || 'durationMs' in provenance || typeof provenance.finishedAt !== 'string')
    return provenance;
  const started = Date.parse(String(provenance.startedAt ?? (isObject(shared) ? shared.startedAt : '')));
  const duration = Date.parse(provenance.finishedAt) - started;
  if (!Number.isSafeInteger(duration)) return provenance;
  const packed = Object.fromEntries(
    Object.entries(provenance).map(([k, v]) => (k === 'finishedAt' ? ['durationMs', duration] : [k, v])),
  );
  // A finish written otherwise than toISOString writes it (no milliseconds, an offset) stays as it is.
  return same(unpackProvenance(packed, shared), provenance) ? packed : provenance;
}

function unpackProvenance(provenance: unknown, shared: unknown): unknown {
  if (!isObject(provenance) || typeof provenance.durationMs !== 'number' || 'finishedAt' in provenance)
    return provenance;
  const started = Date.parse(String(provenance.startedAt ?? (isObject(shared) ? shared.startedAt : '')));
  const finished = new Date(started + provenance.durationMs);
  if (Number.isNaN(finished.getTime())) return provenance;
  return Object.fromEntries(
    Object.entries(provenance).map(([k, v]) => (k === 'durationMs' ? ['finishedAt', finished.toISOString()] : [k, v])),
  );
}

/** The statement without the fields its rows (and the first run) give back. */
function packStatement(statement: unknown, first: unknown): unknown {
  if (!isObject(statement)) return statement;
  const kept = Object.keys(statement).slice(STATEMENT_KEYS.length);
  if (!same(Object.keys(statement).slice(0, STATEMENT_KEYS.length), STATEMENT_KEYS)) return statement;
  if (!kept.every((key, i) => key === KEPT_KEYS[i])) return statement;
  const rows = statement.rows;
  if (!Array.isArray(rows)) return statement;
  // What reading would put back for each field left out, from the statement's own rows: when they are
  // left out too, they are the first run's, which are the same.
  const derived = derivedFields(first, rows, statement.truncated ?? false);
  const packed: JsonObject = {};
  for (const key of STATEMENT_KEYS) {
    const fromFirst = FROM_FIRST.includes(key);
    if (!(key in derived) || (fromFirst && !isObject(first)) || !same(derived[key], statement[key]))
      packed[key] = statement[key];
  }
  for (const key of kept) packed[key] = statement[key];
  return packed;
}

/** What reading puts back for each field a statement leaves out; `truncated` is the statement's, for the hash. */
function derivedFields(first: unknown, rows: unknown, truncated: unknown): JsonObject {
  const firstValue = (key: string) => (isObject(first) ? first[key] : undefined);
  return {
    columns: firstValue('columns'),
    rows: firstValue('rows'),
    rowCount: Array.isArray(rows) ? rows.length : undefined,
    truncated: false,
    hash: truncated === false && Array.isArray(rows) ? rowsHash(rows) : undefined,
  };
}

function unpackStatement(statement: unknown, first: unknown): unknown {
  if (!isObject(statement) || STATEMENT_KEYS.every((key) => key in statement)) return statement;
  const rows = 'rows' in statement ? statement.rows : isObject(first) ? first.rows : undefined;
  const derived: JsonObject = { ...derivedFields(first, rows, statement.truncated ?? false), rows };
  const restored: JsonObject = {};
  for (const key of STATEMENT_KEYS) {
    const value = key in statement ? statement[key] : derived[key];
    if (value !== undefined) restored[key] = value;
  }
  for (const [key, value] of Object.entries(statement)) if (!(key in restored)) restored[key] = value;
  return restored;
}

/** Hashes already computed, by rows array: packing a statement tries its fields one by one on the same rows. */
const hashes = new WeakMap<readonly unknown[], string | undefined>();

function rowsHash(rows: readonly unknown[]): string | undefined {
  if (hashes.has(rows)) return hashes.get(rows);
  const text = hashedText(rows);
  const hash = text.length > MAX_HASHED_CHARS ? undefined : `sha256:${sha256Hex(text)}`;
  hashes.set(rows, hash);
  return hash;
}

/** What compareRuns says of runs read from a file (undefined, as for one run, when they are not runs). */
function derivedComparison(runs: readonly unknown[]): unknown {
  const wellFormed = runs.every(
    (run) =>
      isObject(run) &&
      typeof run.connection === 'string' &&
      (run.statements === undefined ||
        (Array.isArray(run.statements) &&
          run.statements.every((s) => isObject(s) && Array.isArray(s.rows) && Array.isArray(s.columns)))),
  );
  return wellFormed ? compareRuns(runs as unknown as TargetRun[]) : undefined;
}
