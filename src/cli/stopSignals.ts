import { printErr } from './output';
import * as os from 'node:os';

/** The ways a run is asked to stop: Ctrl-C, a service manager or `kill`, and a closed terminal or SSH session. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The first stop signal, whichever it is, cancels the running statement on the server (a CancelRequest)
 * and lets the run end as a cancelled one: its record written, its lock released. A second one quits at
 * once. Returns what stops listening.
 */
export function cancelOnStopSignals(controller: AbortController): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(128 + (os.constants.signals[signal] ?? 0));
    // A closed terminal makes every later write to it fail; the run must still end and write its record.
    if (signal === 'SIGHUP') for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
    const again = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    printErr(`cancelling on ${signal}: sending a cancel request to the server (${again} again to quit at once)`);
    controller.abort();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
  };
}
