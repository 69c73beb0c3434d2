import { redactSecrets } from '../core/connections/redact';
import { USAGE, UsageError } from './args';
import { checkCommand } from './checkCommand';
import { incidentCommand } from './incidentCommand';
import { diffCommand } from './diffCommand';
import { exportCommand } from './exportCommand';
import { runCommand } from './runCommand';
import { sandboxCommand } from './sandboxCommand';
import { printOut, printErr } from './output';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // `cnbook run --help` asks for the usage, whichever command it follows; it is never an unknown option.
  if (command && rest.some((arg) => arg === '--help' || arg === '-h')) {
    printOut(USAGE);
    return 0;
  }
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'check':
      return checkCommand(rest);
    case 'incident':
      return incidentCommand(rest);
    case 'diff':
      return diffCommand(rest);
    case 'sandbox':
      return sandboxCommand(rest);
    case 'export':
      return exportCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      printOut(USAGE);
      return command === undefined ? 3 : 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    printErr(`cnbook: ${redactSecrets(error instanceof Error ? error.message : String(error))}`);
    if (error instanceof UsageError) printErr(`\n${USAGE}`);
    if (process.env.CNBOOK_DEBUG && error instanceof Error) printErr(redactSecrets(error.stack ?? ''));
    process.exitCode = 3;
  },
);
