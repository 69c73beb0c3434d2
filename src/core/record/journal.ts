/**
 * What a writing probe says as it writes, so that a run killed mid-write (SIGKILL included) still leaves a
 * trace of what it committed: a line before a batch's transaction starts, one right after its COMMIT
 * returned, and one when the repair ended (done, failed or cancelled). Written through an injected
 * writer, durable before the next batch begins.
 */
export type ProbeJournalEntry = BatchStarted | BatchCommitted | WriteEnded;

interface EntryBase {
  probe: 'reconcile';
  /** The finding's target label (`east → west: items`). */
  target: string;
  /** The connection written to. */
  connection: string;
  table: string;
  /** ISO time, UTC. */
  at: string;
}

export interface BatchStarted extends EntryBase {
  kind: 'batch-started';
  /** 1-based. */
  batch: number;
  batches: number;
  /** Statements (one row each) in this batch. */
  statements: number;
  /** The first and last key of the batch, as the server wrote them. */
  firstKey: string[];
  lastKey: string[];
}

export interface BatchCommitted extends EntryBase {
  kind: 'batch-committed';
  batch: number;
  batches: number;
  /** Rows the batch changed, as the server counted them. */
  rows: number;
}

export interface WriteEnded extends EntryBase {
  kind: 'ended';
  batchesCommitted: number;
  rowsChanged: number;
}

export interface ProbeJournal {
  /** Appends one entry; returns once it is on disk. */
  append(entry: ProbeJournalEntry): void;
}

/** A line of a record's journal file: a probe's entry, the cell it ran in and the run that ran it. */
export type JournalLine = ProbeJournalEntry & { cell: number; run: string };

/** What the journal says one cell's write of one run did: the facts the record is told. */
export interface JournaledWrite {
  run: string;
  cell: number;
  probe: 'reconcile';
  target: string;
  connection: string;
  table: string;
  batches: number;
  batchesCommitted: number;
  rowsChanged: number;
  /** The batch whose transaction had started, and not been seen to commit, when the run ended. */
  batchInDoubt?: { batch: number; statements: number; firstKey: string[]; lastKey: string[] };
  /** The probe said it ended (done, failed or cancelled); false: the run was killed while writing. */
  ended: boolean;
  /** ISO time of the last commit (or of the start, when none committed). */
  lastAt: string;
}

/** The journal file's lines read back; a line cut short by a kill, or not one of ours, is counted and skipped. */
export function parseJournal(text: string): { lines: JournalLine[]; unreadable: number } {
  const lines: JournalLine[] = [];
  let unreadable = 0;
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    try {
      const value: unknown = JSON.parse(raw);
      if (isJournalLine(value)) lines.push(value);
      else unreadable++;
    } catch {
      unreadable++;
    }
  }
  return { lines, unreadable };
}

function isJournalLine(raw: unknown): raw is JournalLine {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const value = raw as Record<string, unknown>;
  const kind = value.kind;
  return (
    typeof value.run === 'string' &&
    typeof value.cell === 'number' &&
    typeof value.target === 'string' &&
    (kind === 'batch-started' ? typeof value.statements === 'number' && Array.isArray(value.firstKey) : true) &&
    (kind === 'batch-committed' ? typeof value.rows === 'number' : kind === 'batch-started' || kind === 'ended')
  );
}

/** The journal's lines grouped into one write per run and cell, in the order they began. */
export function journaledWrites(lines: readonly JournalLine[]): JournaledWrite[] {
  const writes = new Map<string, JournaledWrite>();
  const started = new Map<string, Extract<JournalLine, { kind: 'batch-started' }>>();
  for (const line of lines) {
    const key = JSON.stringify([line.run, line.cell, line.target]);
    const write = writes.get(key) ?? newWrite(line);
    writes.set(key, write);
    if (line.kind === 'batch-started') {
      started.set(key, line);
      write.batches = line.batches;
    } else if (line.kind === 'batch-committed') {
      write.batchesCommitted++;
      write.rowsChanged += line.rows;
      write.lastAt = line.at;
      if (started.get(key)?.batch === line.batch) started.delete(key);
    } else {
      write.ended = true;
      started.delete(key);
    }
  }
  for (const [key, line] of started) {
    const { batch, statements, firstKey, lastKey } = line;
    const write = writes.get(key);
    if (write) write.batchInDoubt = { batch, statements, firstKey, lastKey };
  }
  return [...writes.values()];
}

function newWrite(line: JournalLine): JournaledWrite {
  const { run, cell, probe, target, connection, table, at } = line;
  const batches = 'batches' in line ? line.batches : 0;
  return {
    run,
    cell,
    probe,
    target,
    connection,
    table,
    batches,
    batchesCommitted: 0,
    rowsChanged: 0,
    ended: false,
    lastAt: at,
  };
}

/** The sentence a person reads about a journaled write, in the timeline and on the terminal. */
export function describeJournaledWrite(w: JournaledWrite): string {
  const plural = (n: number, word: string, words = `${word}s`) => `${n} ${n === 1 ? word : words}`;
  const how = w.ended ? 'its run ended before writing the record' : 'interrupted';
  const committed =
    `${w.batchesCommitted} of ${plural(w.batches, 'batch', 'batches')} committed ` +
    `(${plural(w.rowsChanged, 'row')} changed)`;
  const doubt = w.batchInDoubt ? `; ${inDoubt(w.batchInDoubt, plural(w.batchInDoubt.statements, 'row'))}` : '';
  return `${w.probe} ${how}: ${committed} on ${w.connection}, ${w.table}${doubt}`;
}

function inDoubt(batch: NonNullable<JournaledWrite['batchInDoubt']>, rows: string): string {
  const keys = `${batch.firstKey.join(',')}..${batch.lastKey.join(',')}`;
  const doubt = 'had begun and was not seen to commit: the table says whether it did';
  return `batch ${batch.batch} (${rows}, keys ${keys}) ${doubt}`;
}
