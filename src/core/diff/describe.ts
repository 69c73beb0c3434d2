import type { DiffResult, KeyValues } from './types';

const keyText = (key: KeyValues) => (key.length === 1 ? (key[0] ?? '') : `(${key.join(', ')})`);

function sizeText(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}

/** What a diff that did not keep every key says about its counts. */
export function keptText(r: Pick<DiffResult, 'keysKept' | 'keysFound' | 'countsExact'>): string {
  const exact = r.countsExact
    ? 'the counts are exact'
    : 'the servers may order the key differently, so a changed row may count as missing on both sides';
  return `${r.keysKept} keys kept of ${r.keysFound}; ${exact}`;
}

/** One summary line of a diff, for a terminal and a finding alike. */
export function diffSummary(r: DiffResult): string {
  const inFlight = r.inFlight > 0 ? `; ${r.inFlight} more were in flight and converged` : '';
  const behind = r.replay === 'behind' ? "; the target had not replayed the source's position in time" : '';
  const what =
    r.missingInTarget + r.missingInSource + r.changed === 0
      ? `identical (${r.sourceRows} rows)`
      : `${r.missingInTarget} missing in the target, ${r.missingInSource} missing in the source, ${r.changed} changed`;
  return `${what}${inFlight}${behind}`;
}

/** The diff as text for a terminal: the summary, the cost, and up to `limit` keys of each kind. */
export function describeDiff(r: DiffResult, source: string, target: string, limit: number): string {
  const lines = [
    `${r.table}: ${source} → ${target}: ${diffSummary(r)}`,
    `  ${r.sourceRows} rows on ${source}, ${r.targetRows} on ${target}; key (${r.keyColumns.join(', ')}); ${r.columns.length} columns compared`,
    `  ${r.method}, ${r.chunks} chunks, ${r.queries} queries, ${sizeText(r.bytesReceived)} received, ${(r.durationMs / 1000).toFixed(1)} s`,
  ];
  const kinds = [
    ['missing in the target', r.keys.missingInTarget],
    ['missing in the source', r.keys.missingInSource],
    ['changed', r.keys.changed],
    ['in flight', r.keys.inFlight],
  ] as const;
  for (const [label, keys] of kinds) {
    if (keys.length === 0) continue;
    const more = keys.length > limit ? ` … and ${keys.length - limit} more` : '';
    lines.push(`  ${label}: ${keys.slice(0, limit).map(keyText).join(', ')}${more}`);
  }
  if (r.keysTruncated) lines.push(`  (${keptText(r)})`);
  return lines.join('\n');
}
