import { describe, expect, it } from 'vitest';
import { parseNotebook, printNotebook } from '../../src/core/format';
import type { CodeCell } from '../../src/core/format/model';
import { outputFindings } from '../../src/core/diagnosis/notebook';
import { describeJournaledWrite, journaledWrites, parseJournal, type JournalLine } from '../../src/core/record/journal';
import { foldJournal } from '../../src/core/record/journalFold';
import { timelineOf } from '../../src/core/record/timeline';

const base = {
  probe: 'reconcile',
  target: 'east → west: items',
  connection: 'west',
  table: 'items',
  cell: 1,
} as const;
const started = (run: string, batch: number): JournalLine => ({
  ...base,
  run,
  kind: 'batch-started',
  at: `2026-12-04T10:00:0${batch}.000Z`,
  batch,
  batches: 3,
  statements: 10,
  firstKey: [String(batch * 10 - 9)],
  lastKey: [String(batch * 10)],
});
const committed = (run: string, batch: number): JournalLine => ({
  ...base,
  run,
  kind: 'batch-committed',
  at: `2026-12-04T10:00:0${batch}.500Z`,
  batch,
  batches: 3,
  rows: 10,
});
const lines = (...entries: JournalLine[]) => entries.map((e) => JSON.stringify(e)).join('\n');

describe('a record journal', () => {
  it('reads committed batches and the one in doubt, skipping a line a kill cut short', () => {
    const text = `${lines(started('a', 1), committed('a', 1), started('a', 2))}\n{"run":"a","ki`;
    const { lines: read, unreadable } = parseJournal(text);
    expect(unreadable).toBe(1);
    const [write] = journaledWrites(read);
    expect(write).toMatchObject({ batches: 3, batchesCommitted: 1, rowsChanged: 10, ended: false });
    expect(write?.batchInDoubt).toEqual({ batch: 2, statements: 10, firstKey: ['11'], lastKey: ['20'] });
    expect(describeJournaledWrite(write!)).toBe(
      'reconcile interrupted: 1 of 3 batches committed (10 rows changed) on west, items; batch 2 (10 rows, ' +
        'keys 11..20) had begun and was not seen to commit: the table says whether it did',
    );
  });

  it('keeps the writes of two runs apart', () => {
    const { lines: read } = parseJournal(lines(started('a', 1), committed('a', 1), started('b', 1), committed('b', 1)));
    expect(journaledWrites(read).map((w) => [w.run, w.batchesCommitted])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('folds into a record: a timeline entry and the cell finding, which survive a save and a reopen', () => {
    const notebook = parseNotebook(
      '---\ncnbook: 1\n---\n# R\n\n```cnprobe\nreconcile table=items from=primary to=copy apply=yes\n```\n',
    );
    const { lines: read } = parseJournal(lines(started('a', 1), committed('a', 1), committed('a', 2)));
    foldJournal(notebook, journaledWrites(read), 'alice');
    const reopened = parseNotebook(printNotebook(notebook));
    const [entry] = timelineOf(reopened.cells);
    expect(entry).toMatchObject({
      kind: 'journal',
      who: 'alice',
      cell: 1,
      write: { batchesCommitted: 2, rowsChanged: 20 },
    });
    const cell = reopened.cells[1] as CodeCell;
    const [finding] = (cell.outputs ?? []).flatMap(outputFindings);
    expect(finding).toMatchObject({
      probe: 'reconcile',
      severity: 'critical',
      metrics: { batchesApplied: 2, rowsChanged: 20, interrupted: true, batches: 3 },
    });
    expect(printNotebook(reopened)).toContain('reconcile interrupted: 2 of 3 batches committed (20 rows changed)');
  });
});
