/** The sandbox's folder and its sandbox.json: which servers it has, their ports, its faults, its owner. */
import { writeFileAtomically } from '../drivers/recordFile';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AS_ROOT } from './processes';

export type NodeRole = 'primary' | 'replica' | 'target';

export interface NodeState {
  name: string;
  role: NodeRole;
  port: number;
}

export interface SandboxState {
  version: 1;
  name: string;
  major: number;
  /** False until every server has been created: a folder left by a crashed start says so. */
  complete: boolean;
  nodes: NodeState[];
  /** Fault specs injected since the last reset, as typed on the command line. */
  faults: string[];
  /** The watchdog that stops the servers when their owner exits (VS Code, `cnbook run --sandbox`). */
  watchdog?: number;
  /** libfaketime FAKETIME values of servers with a skew fault, applied whenever they start. */
  fakeTime?: Record<string, string>;
  /** The detached process holding the `locks` fault's sessions. */
  lockHolder?: number;
  /** The `pause` fault's light writer on the primary: the paused replica falls behind as its name says. */
  pauseWriter?: number;
  /** The writable server once a failover or switchover moved it; PRIMARY_NAME until then. */
  primary?: string;
  /** Servers stopped on purpose (`down=`, the old primary of a `failover`): not restarted, not "stopped". */
  down?: string[];
  /** The `proxy` fault's TCP proxy: a read-write port and a round-robin read port. */
  proxy?: { pid?: number; rwPort: number; roPort: number };
}

export const PRIMARY_NAME = 'us-east';
export const REPLICA_NAMES = ['us-west', 'eu-west', 'ap-southeast'];
export const TARGET_NAME = 'target';
export const DEFAULT_REPLICAS = 3;
export const MAX_REPLICAS = 8;

export function replicaNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => REPLICA_NAMES[i] ?? `replica-${i + 1}`);
}

/**
 * `~/.cache/cnbook/sandbox/NAME`, or under $CNBOOK_SANDBOX_HOME. As root the servers run as another user,
 * who cannot enter /root, so root's sandboxes live under /var/tmp/cnbook-sandbox instead.
 */
export function defaultSandboxFolder(name: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/.test(name))
    throw new Error(`sandbox name '${name}' must be letters, digits, '-' or '_' (up to 40)`);
  const base =
    env.CNBOOK_SANDBOX_HOME ||
    (AS_ROOT
      ? '/var/tmp/cnbook-sandbox'
      : path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'cnbook', 'sandbox'));
  return path.join(base, name);
}

export function stateFile(folder: string): string {
  return path.join(folder, 'sandbox.json');
}

export function readState(folder: string): SandboxState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(stateFile(folder), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as SandboxState;
  } catch {
    throw new Error(`${stateFile(folder)} is not valid JSON: run 'cnbook sandbox reset' to rebuild the sandbox`);
  }
}

/** Written to a temp file and renamed, so a crash never leaves half a state file. */
export function writeState(folder: string, state: SandboxState): void {
  writeFileAtomically(stateFile(folder), JSON.stringify(state, null, 2) + '\n');
}
