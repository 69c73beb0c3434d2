import { DEFAULT_LIMITS } from '../core/defaults';
import { resolveConnection } from '../core/connections/resolve';
import type { ResolvedConnection } from '../core/connections/model';
import * as fs from 'node:fs';
import {
  buildRepair,
  diffTable,
  sessionSide,
  type DiffOptions,
  type DiffProgress,
  type DiffResult,
  type RepairScript,
} from '../core/diff';
import { describeDiff } from '../core/diff/describe';
import { selectionOptions } from '../core/diff/selection';
import { SessionPool } from '../core/sql/sessionPool';
import { NodePostgresClient } from '../drivers/pgClient';
import { nodeEnvironment } from '../drivers/nodeEnvironment';
import { UsageError } from './usageError';
import { parseDiffArgs } from './diffArgs';
import { commandConnections } from './sandboxConnections';
import { didYouMean } from '../core/util/suggest';
import { printOut, printErr, printJson, printProgress, clearProgress } from './output';

/** `cnbook diff`: compares a table on two connections; exit 0 equal, 2 drift, 3 could not run. */
export async function diffCommand(argv: string[]): Promise<number> {
  const args = parseDiffArgs(argv);
  const environment = nodeEnvironment();
  const { config, warnings } = commandConnections(args, environment.homeDir);
  warnings.forEach((w) => printErr(`warning: ${w}`));
  const connection = (name: string): ResolvedConnection => {
    const spec = config.connections[name];
    if (!spec)
      throw new UsageError(
        `no connection '${name}'${didYouMean(name, Object.keys(config.connections))}; defined: ${Object.keys(config.connections).join(', ')}`,
      );
    return resolveConnection(name, spec, environment);
  };
  const [source, target] = [connection(args.source), connection(args.target)];
  new Set([source, target].flatMap((c) => c.warnings ?? [])).forEach((w) => printErr(`warning: ${w}`));
  const pool = new SessionPool(NodePostgresClient.fromEnvironment(environment), {
    connectTimeoutMs: DEFAULT_LIMITS.connectTimeoutMs,
    applicationName: 'cnbook diff',
  });
  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  process.once('SIGINT', onInterrupt);
  const progress = process.stderr.isTTY ? progressLine : undefined;
  try {
    const sides = [
      sessionSide(pool, source, DEFAULT_LIMITS.lockTimeoutMs, abort.signal),
      sessionSide(pool, target, DEFAULT_LIMITS.lockTimeoutMs, abort.signal),
    ] as const;
    const options: DiffOptions = {
      ...selectionOptions(args),
      queryTimeoutMs: args.queryTimeoutMs,
      settleMs: args.settleMs,
      maxKeys: args.maxKeys,
      signal: abort.signal,
    };
    const result = await diffTable(...sides, progress ? { ...options, onProgress: progress } : options);
    if (progress) clearProgress();
    print(result, source.name, target.name, args.json, args.limit);
    if (args.repairSql) writeRepair(args.repairSql, await buildRepair(...sides, options, result), target.name);
    return result.missingInTarget + result.missingInSource + result.changed > 0 ? 2 : 0;
  } catch (error) {
    if (progress) clearProgress();
    if (abort.signal.aborted) {
      printErr('cnbook: diff cancelled; the queries running on both servers were cancelled');
      return 3;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    await pool.closeAll();
  }
}

function progressLine(p: DiffProgress): void {
  const share = p.estimatedRows
    ? ` (~${Math.min(100, Math.round((100 * p.sourceRows) / Math.max(1, p.estimatedRows)))}%)`
    : '';
  printProgress(
    `chunk ${p.chunks}: ${p.sourceRows} rows of the source compared${share}, ${p.differences} differences so far`,
  );
}

function print(result: DiffResult, source: string, target: string, json: boolean, limit: number): void {
  if (json) printJson({ source, target, ...result });
  else printOut(describeDiff(result, source, target, limit));
}

/** Writes the repair and its undo for review; nothing is applied from here. */
function writeRepair(file: string, script: RepairScript, target: string): void {
  const undo = file.replace(/(\.sql)?$/, '.undo.sql');
  fs.writeFileSync(file, script.apply);
  fs.writeFileSync(undo, script.undo);
  const { insert, update, delete: remove } = script.counts;
  printErr(
    `repair for ${target} (not applied): ${insert} inserts, ${update} updates, ${remove} deletes in ${script.batches} transactions in ${file}; undo in ${undo}`,
  );
}
