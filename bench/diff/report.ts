/**
 * The bench's tables: per case and link, the medians of each method's time and bytes on the client's link,
 * the ratios the targets are stated in (cnbook / pg_comparator, cnbook / floor, bytes), and whether each
 * tool's counts were exact against the differences the bench injected.
 */
import type { Truth } from './data';
import type { Found, MethodName } from './methods';

export interface Measured extends Found {
  ms: number;
  peakRssMb: number;
  /** Bytes the relay carried, both directions, both servers. */
  wireBytes: number;
}

export interface CaseResult {
  name: string;
  link: string;
  truth: Truth;
  runs: Map<MethodName, Measured[]>;
  loadStart: string;
  loadEnd: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function size(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}

/** Exact: the counts equal the injected ones, and every key reported is a true difference of its class. */
export function exactness(found: Found, truth: Truth): string {
  const classes = ['missingInTarget', 'missingInSource', 'changed'] as const;
  const counts = classes.map((c) => found.counts?.[c] ?? found[c].length);
  const want = classes.map((c) => truth[c].size);
  const keysRight = classes.every((c) => found[c].every((k) => truth[c].has(k)));
  // A tool that says its counts may be off is not exact even when they happen to match.
  const claimed = found.countsExact === false ? ', reported as not exact' : '';
  if (keysRight && !claimed && counts.every((n, i) => n === want[i])) return 'exact';
  return `**wrong** ${counts.join('/')} of ${want.join('/')}${keysRight ? '' : ', wrong keys'}${claimed}`;
}

type Summary = { s: number; bytes: number; exact: string };

function summarise(runs: Measured[] | undefined, truth: Truth, compares: boolean): Summary | undefined {
  if (!runs || runs.length === 0) return undefined;
  const verdicts = [...new Set(runs.map((r) => exactness(r, truth)))];
  return {
    s: median(runs.map((r) => r.ms)) / 1000,
    bytes: median(runs.map((r) => r.wireBytes)),
    exact: compares ? verdicts.join('; ') : '',
  };
}

export const HEADER = [
  '| case | link | cnbook s | pg_comparator s | floor s | COPY s | cnbook / pg_comparator | cnbook / floor ' +
    '| cnbook bytes | pg_comparator bytes | bytes cnbook / pg_c | COPY bytes | cnbook counts ' +
    '| pg_comparator counts | load |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|',
].join('\n');

/** One row of the summary table (medians). */
export function caseRow(result: CaseResult): string {
  const [engine, peer, floor, copy] = (['engine', 'peer', 'floor', 'copy'] as const).map((m) =>
    summarise(result.runs.get(m), result.truth, m === 'engine' || m === 'peer'),
  );
  const seconds = (x: Summary | undefined) => (x ? x.s.toFixed(2) : '–');
  const ratio = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}×` : '–';
  return `| ${[
    result.name,
    result.link,
    seconds(engine),
    seconds(peer),
    seconds(floor),
    seconds(copy),
    ratio(engine?.s, peer?.s),
    ratio(engine?.s, floor?.s),
    size(engine?.bytes ?? NaN),
    size(peer?.bytes ?? NaN),
    ratio(engine?.bytes, peer?.bytes),
    size(copy?.bytes ?? NaN),
    engine?.exact ?? '–',
    peer?.exact ?? '–',
    `${result.loadStart} → ${result.loadEnd}`,
  ].join(' | ')} |`;
}

/** Every run of one case and link, for reading the spread behind a median. */
export function printRuns(result: CaseResult): void {
  console.log(`\n### ${result.name}, ${result.link}: every run (s; wire bytes; queries; client peak RSS MB)`);
  for (const [method, runs] of result.runs) {
    const compares = method !== 'floor' && method !== 'copy';
    const cells = runs.map(
      (r) =>
        `${(r.ms / 1000).toFixed(2)}; ${size(r.wireBytes)}; ${r.queries}; ${r.peakRssMb.toFixed(0)}` +
        (compares ? `; ${exactness(r, result.truth)}` : ''),
    );
    console.log(`- ${method}${runs[0]?.method ? ` [${runs[0].method}]` : ''}: ${cells.join(' | ')}`);
  }
}
