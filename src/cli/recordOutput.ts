import { printErr } from './output';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { printNotebook } from '../core/format';
import type { Notebook } from '../core/format/model';
import { linkTarget, writeFileAtomically } from '../drivers/recordFile';
import type { RunArgs } from './args';

/** Writes the record to --out; says why not (a missing folder, no permission) and returns false. */
export function writeOutput(args: RunArgs, notebook: Notebook, readText: string): boolean {
  if (!args.out) return true;
  const inPlace = linkTarget(args.out) === linkTarget(args.file);
  const changed = inPlace && changedSinceRead(args.out, readText);
  const out = changed ? conflictFile(args.out) : args.out;
  try {
    writeFileAtomically(out, printNotebook(notebook), { exclusive: changed });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `the folder ${path.dirname(out)} does not exist` : (code ?? String(error));
    printErr(`cnbook: cannot write the record to ${out}: ${why}; the run's summary is above`);
    return false;
  }
  if (changed) {
    // Saved meanwhile by something that takes no lock (an editor): neither version may silently lose the other.
    printErr(
      `cnbook: ${args.out} changed on disk during the run (saved from an editor?) and was not overwritten; ` +
        `this run's record is ${out}: merge its timeline into ${args.out}`,
    );
    return false;
  }
  printErr(`wrote ${args.out}${inPlace ? ' (over the input, as --out asked)' : ''}`);
  return true;
}

function changedSinceRead(file: string, readText: string): boolean {
  try {
    return fs.readFileSync(file, 'utf8') !== readText;
  } catch {
    return true;
  }
}

/** `r.cnbook` → `r.conflict-20261204T101500Z.cnbook`, beside it. */
function conflictFile(record: string): string {
  const stamp = new Date().toISOString().replace(/[-:]|\.\d+/g, '');
  const parsed = path.parse(record);
  return path.join(parsed.dir, `${parsed.name}.conflict-${stamp}${parsed.ext || '.cnbook'}`);
}
