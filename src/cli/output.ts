import { terminalSafe, terminalSafeJson } from '../core/util/terminalSafe';

/*
 * Everything the CLI prints goes through here (a lint rule keeps console and process.stdout/stderr out of
 * the other files of src/cli), so that no text from a server reaches the terminal with its control characters.
 */

/** A line (or lines) on stdout. */
export function printOut(text: string): void {
  process.stdout.write(`${terminalSafe(text)}\n`);
}

/** A line (or lines) on stderr: progress, warnings, errors. */
export function printErr(text: string): void {
  process.stderr.write(`${terminalSafe(text)}\n`);
}

/** A value as indented JSON on stdout (--json), with what JSON.stringify leaves raw escaped as well. */
export function printJson(value: unknown): void {
  process.stdout.write(`${terminalSafeJson(JSON.stringify(value, null, 2))}\n`);
}

/** Text on stderr without a line break: a progress line the next write replaces (escaped like any other). */
export function printProgress(text: string): void {
  process.stderr.write(`\r\x1b[K${terminalSafe(text)}`);
}

/** Clears the progress line (cnbook's own control sequence, never text from elsewhere). */
export function clearProgress(): void {
  process.stderr.write('\r\x1b[K');
}
