import { isObject } from './json';
import type { JsonObject } from './model';
import type { Expanded, PayloadContext } from './compact';

/*
 * Findings, `{"version", "findings": [...]}`: each finding whose keys are the payload's `columns` (or the
 * first of them) stored as the array of its values, the key names once for all; a SQL check's evidence as
 * `"evidenceRows": N` when it is the first N rows of the result its cell stored before it.
 */

export function compactFindings(payload: unknown, context: PayloadContext): unknown {
  if (!isObject(payload) || !Array.isArray(payload.findings) || 'columns' in payload) return undefined;
  const findings = payload.findings.map((finding: unknown) => withEvidenceRows(finding, context));
  const columns = longestKeys(findings);
  if (columns.length === 0) return undefined;
  const rows = findings.map((finding) =>
    isObject(finding) && isPrefix(Object.keys(finding), columns) ? Object.values(finding) : finding,
  );
  const { findings: _findings, ...rest } = payload;
  return { ...rest, columns, findings: rows };
}

export function expandFindings(compact: unknown, context: PayloadContext): Expanded {
  if (!isObject(compact) || !Array.isArray(compact.findings) || !Array.isArray(compact.columns))
    return 'a compact findings payload has no "columns" and "findings" lists';
  const columns = compact.columns;
  if (!columns.every((c): c is string => typeof c === 'string')) return 'its "columns" are not key names';
  const findings: unknown[] = [];
  for (const [i, stored] of compact.findings.entries()) {
    if (Array.isArray(stored) && stored.length > columns.length)
      return `finding ${i + 1} has more values than there are columns`;
    const finding = Array.isArray(stored) ? Object.fromEntries(stored.map((v, k) => [columns[k], v])) : stored;
    const expanded = withEvidence(finding, context);
    if (expanded === undefined) return `finding ${i + 1}: no result stored before it holds the rows of its evidence`;
    findings.push(expanded);
  }
  const { columns: _columns, findings: _findings, ...rest } = compact;
  return { value: { ...rest, findings } };
}

/** The key names of the finding with the most of them, the others' being a prefix of it when they fit. */
function longestKeys(findings: readonly unknown[]): string[] {
  let longest: string[] = [];
  for (const finding of findings) {
    const keys = isObject(finding) ? Object.keys(finding) : [];
    if (keys.length > longest.length) longest = keys;
  }
  return longest;
}

function isPrefix(keys: readonly string[], columns: readonly string[]): boolean {
  return keys.length > 0 && keys.every((key, i) => key === columns[i]);
}

/** The finding with `"evidenceRows": N` in place of its evidence, when that reads back as the evidence. */
function withEvidenceRows(finding: unknown, context: PayloadContext): unknown {
  if (!isObject(finding) || !Array.isArray(finding.evidence) || finding.evidence.length === 0) return finding;
  const count = finding.evidence.length;
  const compact = Object.fromEntries(
    Object.entries(finding).map(([key, value]) => (key === 'evidence' ? ['evidenceRows', count] : [key, value])),
  );
  return JSON.stringify(withEvidence(compact, context)) === JSON.stringify(finding) ? compact : finding;
}

/** A finding with its `evidenceRows` put back as the evidence, or undefined when no result holds those rows. */
function withEvidence(finding: unknown, { results }: PayloadContext): unknown {
  if (!isObject(finding) || !('evidenceRows' in finding)) return finding;
  const evidence = evidenceRows(results, finding.target, finding.evidenceRows);
  if (!evidence) return undefined;
  return Object.fromEntries(
    Object.entries(finding).map(([key, value]) => (key === 'evidenceRows' ? ['evidence', evidence] : [key, value])),
  );
}

/** The first `count` rows of the last statement `connection` ran in the nearest result, as column: value. */
function evidenceRows(results: readonly unknown[], connection: unknown, count: unknown): JsonObject[] | undefined {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) return undefined;
  const result = results[results.length - 1];
  const runs = isObject(result) && Array.isArray(result.results) ? result.results : [];
  const run = runs.find((r) => isObject(r) && r.connection === connection);
  const statements = isObject(run) && Array.isArray(run.statements) ? run.statements : [];
  const last = statements[statements.length - 1];
  if (!isObject(last) || !Array.isArray(last.columns) || !Array.isArray(last.rows) || last.rows.length < count)
    return undefined;
  const names = last.columns.map((c) => (isObject(c) ? c.name : undefined));
  if (!names.every((name): name is string => typeof name === 'string')) return undefined;
  return last.rows
    .slice(0, count)
    .map((row) => Object.fromEntries(names.map((name, i) => [name, Array.isArray(row) ? row[i] : undefined])));
}
