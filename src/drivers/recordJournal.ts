import * as fs from 'node:fs';
import * as path from 'node:path';
import { journaledWrites, parseJournal, type JournaledWrite, type JournalLine } from '../core/record/journal';
import type { ProbeJournal } from '../core/record/journal';
import { linkTarget, syncFolder, writeFileAtomically } from './recordFile';

/** A record's journal: `<record>.journal` beside the file the path leads to, one JSON line per entry. */
export function journalFile(record: string): string {
  return `${linkTarget(record)}.journal`;
}

/** What a journal file says. */
export interface ReadJournal {
  file: string;
  writes: JournaledWrite[];
  /** Lines that could not be read (one cut short by a kill). */
  unreadable: number;
}

/** The journal file `file` read, or undefined when there is none. */
function readJournal(file: string): ReadJournal | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const { lines, unreadable } = parseJournal(text);
  return { file, writes: journaledWrites(lines), unreadable };
}

/**
 * The journal a run appends to: opened at its first entry (a run that writes nothing leaves no file),
 * each line flushed to disk (fsync) before append returns, so it outlives a SIGKILL or a power cut.
 */
export class JournalAppender {
  private fd: number | undefined;
  private wrote = false;

  constructor(
    readonly file: string,
    private readonly run: string,
  ) {}

  journalOfCell(cell: number): ProbeJournal {
    return { append: (entry) => this.appendLine({ ...entry, cell, run: this.run }) };
  }

  private appendLine(line: JournalLine): void {
    if (this.fd === undefined) {
      try {
        this.fd = fs.openSync(this.file, 'a', 0o600);
      } catch (error) {
        // Before the first batch: a write nobody could trace after a kill does not start.
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        throw new Error(`cannot keep the journal of this write in ${this.file} (${code}); nothing was written`);
      }
      syncFolder(path.dirname(this.file));
    }
    fs.writeSync(this.fd, `${JSON.stringify(line)}\n`);
    fs.fsyncSync(this.fd);
    this.wrote = true;
  }

  /**
   * At the run's end: the whole journal goes once the record holding it is written; without a record
   * written, this run's own lines go (its summary said them) and those of earlier runs stay.
   */
  settle(recordWritten: boolean): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    if (recordWritten) {
      fs.rmSync(this.file, { force: true });
      return;
    }
    if (!this.wrote) return;
    const kept = readLines(this.file).filter((line) => runOfLine(line) !== this.run);
    if (kept.length === 0) fs.rmSync(this.file, { force: true });
    else writeFileAtomically(this.file, `${kept.join('\n')}\n`);
  }
}

function runOfLine(line: string): string | undefined {
  try {
    return (JSON.parse(line) as { run?: string }).run;
  } catch {
    return undefined;
  }
}

function readLines(file: string): string[] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim());
  } catch {
    return [];
  }
}

/** The journals a run reads (beside its input and its --out) and the one it appends to (beside what it writes). */
export class RunJournals {
  readonly earlier: ReadJournal[];
  readonly appender: JournalAppender;

  constructor(input: string, out: string | undefined, run: string) {
    const files = [...new Set([input, ...(out ? [out] : [])].map(journalFile))];
    this.earlier = files.map(readJournal).filter((j): j is ReadJournal => j !== undefined && j.writes.length > 0);
    this.appender = new JournalAppender(journalFile(out ?? input), run);
  }

  get earlierWrites(): JournaledWrite[] {
    return this.earlier.flatMap((j) => j.writes);
  }

  /** Once the record is written with what the journals said, they go; otherwise they stay for the next run. */
  settle(recordWritten: boolean): void {
    this.appender.settle(recordWritten);
    if (recordWritten) for (const journal of this.earlier) fs.rmSync(journal.file, { force: true });
  }
}

/** What the journal beside a record says, for `cnbook check`; undefined without one. */
export function journalBeside(record: string): ReadJournal | undefined {
  return readJournal(journalFile(record));
}
