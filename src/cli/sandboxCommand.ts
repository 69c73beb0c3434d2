/** `cnbook sandbox start|stop|status|reset|inject|clear` and `cnbook sandbox --list-faults`. */
import { Fault, faultListing, formatFault, parseFault, type FaultContext } from '../core/sandbox/faults';
import { didYouMean } from '../core/util/suggest';
import { fakeTimeLibrary } from '../sandbox/binaries';
import { clearFault, injectFault } from '../sandbox/faults';
import { Sandbox, SandboxStatus } from '../sandbox/sandbox';
import { defaultSandboxFolder, DEFAULT_REPLICAS, PRIMARY_NAME, replicaNames, TARGET_NAME } from '../sandbox/state';
import { isSet, lastValue, parsedValue, parseFlags, type FlagKind } from './flags';
import { UsageError } from './usageError';
import { printOut } from './output';

const ACTIONS = ['start', 'stop', 'status', 'reset', 'inject', 'clear'] as const;
type Action = (typeof ACTIONS)[number];
const FLAGS: Record<string, FlagKind> = {
  '--name': 'value',
  '--replicas': 'value',
  '--fault': 'value',
  '--list-faults': 'switch',
};

export interface SandboxArgs {
  action?: Action;
  listFaults: boolean;
  name: string;
  replicas?: number;
  faults: string[];
}

export function parseSandboxArgs(argv: string[]): SandboxArgs {
  const flags = parseFlags(argv, FLAGS);
  const [verb, ...rest] = flags.positionals;
  const args: SandboxArgs = {
    listFaults: isSet(flags, '--list-faults'),
    name: lastValue(flags, '--name') ?? 'default',
    replicas: parsedValue(flags, '--replicas', replicaCount),
    faults: flags.values.get('--fault') ?? [],
    action: verb === undefined ? undefined : action(verb),
  };
  if (rest.length > 0 && args.action !== 'inject' && args.action !== 'clear')
    throw new UsageError(`sandbox ${args.action ?? ''} takes no argument '${rest[0] ?? ''}'`);
  args.faults.push(...rest);
  if (!args.action && !args.listFaults) throw new UsageError(`sandbox needs one of: ${ACTIONS.join(', ')}`);
  return args;
}

function action(word: string): Action {
  const found = ACTIONS.find((a) => a === word);
  if (!found) throw new UsageError(`unknown sandbox command '${word}'${didYouMean(word, ACTIONS)}`);
  return found;
}

function replicaCount(_flag: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 8) throw new UsageError(`--replicas expects 0 to 8, got '${text}'`);
  return n;
}

export function fakeTimeMissing(): string | undefined {
  return fakeTimeLibrary() ? undefined : 'libfaketime is not installed (apt-get install -y libfaketime)';
}

/** The names a fault may use once the sandbox runs with this many replicas: checked before starting. */
export function plannedContext(replicas: number): FaultContext {
  const names = replicaNames(replicas);
  return { replicas: names, servers: [PRIMARY_NAME, ...names, TARGET_NAME] };
}

export function parseFaults(specs: string[], context: FaultContext): Fault[] {
  // A FaultSpecError names the spec, the column and a suggestion: no usage text needed after it.
  const faults = specs.map((spec) => parseFault(spec, context));
  if (faults.some((f) => f.kind === 'skew') && fakeTimeMissing())
    throw new Error(`the skew fault is unavailable: ${fakeTimeMissing()}`);
  // Last: the locks fault holds a row lock that DDL (orphans) would queue behind.
  return [...faults.filter((f) => f.kind !== 'locks'), ...faults.filter((f) => f.kind === 'locks')];
}

export async function injectAll(sandbox: Sandbox, faults: Fault[], log: (line: string) => void): Promise<void> {
  for (const fault of faults) {
    // Injected twice, orphans would insert the same keys again (duplicate key): a fault held is kept as it is.
    if (sandbox.status().faults.includes(formatFault(fault))) {
      log(`already holds ${formatFault(fault)}`);
      continue;
    }
    await injectFault(sandbox, fault);
    log(`injected ${formatFault(fault)}`);
  }
}

export async function sandboxCommand(argv: string[]): Promise<number> {
  const args = parseSandboxArgs(argv);
  if (args.listFaults) {
    faultListing(fakeTimeMissing()).forEach((line) => printOut(line));
    if (!args.action) return 0;
  }
  const sandbox = new Sandbox(args.name, defaultSandboxFolder(args.name));
  const existing = sandbox.state();
  const replicas =
    args.replicas ??
    (existing?.complete ? existing.nodes.filter((n) => n.role === 'replica').length : DEFAULT_REPLICAS);
  switch (args.action) {
    case 'start':
    case 'reset': {
      const faults = parseFaults(args.faults, plannedContext(replicas));
      const started = Date.now();
      if (args.action === 'start') await sandbox.start({ replicas: args.replicas });
      else await sandbox.reset({ replicas: args.replicas });
      printOut(
        `sandbox '${args.name}' ${args.action === 'start' ? 'started' : 'reset'} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      await injectAll(sandbox, faults, printOut);
      printStatus(sandbox.status());
      return 0;
    }
    case 'inject':
    case 'clear': {
      if (args.faults.length === 0)
        throw new UsageError(`sandbox ${args.action} needs a fault spec (see --list-faults)`);
      sandbox.requireState();
      const faults = parseFaults(args.faults, sandbox.faultContext());
      if (args.action === 'inject') await injectAll(sandbox, faults, printOut);
      else
        for (const fault of faults) {
          await clearFault(sandbox, fault);
          printOut(`cleared ${formatFault(fault)}`);
        }
      return 0;
    }
    case 'stop':
      await sandbox.stop();
      printOut(`sandbox '${args.name}' stopped; its data stays in ${sandbox.folder}`);
      return 0;
    default:
      printStatus(sandbox.status());
      return sandbox.running() ? 0 : 1;
  }
}

function printStatus(status: SandboxStatus): void {
  if (!status.exists) {
    printOut(`sandbox '${status.name}': not created (${status.folder}); 'cnbook sandbox start' creates it`);
    return;
  }
  const state = !status.complete
    ? 'incomplete (run reset)'
    : status.nodes.every((n) => n.running || status.down?.includes(n.name))
      ? 'running'
      : 'stopped';
  printOut(`sandbox '${status.name}': ${state}, PostgreSQL ${status.major ?? '?'}, ${status.folder}`);
  // Roles as they are now: a failover or switchover moves the primary.
  const roleNow = (n: (typeof status.nodes)[number]) =>
    n.role === 'target' ? 'target' : n.name === (status.primary ?? PRIMARY_NAME) ? 'primary' : 'replica';
  for (const n of status.nodes)
    printOut(`  ${n.name.padEnd(14)} ${roleNow(n).padEnd(8)} ${n.running ? 'up  ' : 'down'}  ${n.url}`);
  if (status.primary) printOut(`  primary now: ${status.primary}`);
  if (status.proxy)
    printOut(`  proxy: read-write 127.0.0.1:${status.proxy.rwPort}, round-robin read 127.0.0.1:${status.proxy.roPort}`);
  printOut(`  ${faultLine(status.faults, state === 'running')}`);
}

/** A stopped sandbox has no fault at work; what its data keeps comes back with the next start. */
function faultLine(faults: readonly string[], running: boolean): string {
  if (running) return `faults: ${faults.length ? faults.join(', ') : 'none'}`;
  const kept = faults.length ? `; its data keeps ${faults.join(', ')} for the next start` : '';
  return `faults: none while stopped${kept}`;
}
