import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellIdOf, parseNotebook, printNotebook, sameNotebook, withCellIds } from '../../src/core/format';
import { cellIdsNeeded } from '../../src/core/format/cellIds';

const valid = path.resolve(__dirname, '../fixtures/format/valid');
const files = fs.readdirSync(valid).filter((name) => name.endsWith('.cnbook'));
const codeCellIds = (text: string) =>
  parseNotebook(text)
    .cells.filter((cell) => cell.kind === 'code')
    .map(cellIdOf);

// Issue 18: references by cell number went stale when a cell was inserted above; cells now carry ids, and
// records written before them (every fixture here) get theirs on open without their bytes changing.
describe('cell ids', () => {
  it.each(files)('%s: opened (every code cell given an id) and saved unedited keeps its bytes', (name) => {
    const text = fs.readFileSync(path.join(valid, name), 'utf8');
    const opened = withCellIds(parseNotebook(text));
    const code = opened.cells.filter((cell) => cell.kind === 'code');
    expect(code.every((cell) => cellIdOf(cell) !== undefined)).toBe(true);
    expect(new Set(code.map(cellIdOf)).size).toBe(code.length);
    expect(printNotebook(opened)).toBe(text);
  });

  it('are written with the first change, and read back as the same ids', () => {
    const text = fs.readFileSync(path.join(valid, 'v2-record.cnbook'), 'utf8');
    const opened = withCellIds(parseNotebook(text));
    opened.cells.unshift({ kind: 'markdown', source: 'A note above step 1' });
    const saved = printNotebook(opened);
    expect(saved).not.toBe(text);
    expect(codeCellIds(saved)).toEqual(opened.cells.filter((cell) => cell.kind === 'code').map(cellIdOf));
    const reopened = withCellIds(parseNotebook(saved));
    expect(sameNotebook(reopened, parseNotebook(saved))).toBe(true);
    expect(printNotebook(reopened)).toBe(saved);
  });

  it('gives a new id to a cell pasted with the id of an earlier one, and keeps the ids cells have', () => {
    const cells = [
      { kind: 'code', metadata: { id: 'a' } },
      { kind: 'markdown' },
      { kind: 'code', metadata: { id: 'a' } },
      { kind: 'code' },
      { kind: 'code', metadata: { id: 'b' } },
    ];
    const needed = cellIdsNeeded(cells);
    expect([...needed.keys()]).toEqual([2, 3]);
    expect(new Set([...needed.values(), 'a', 'b']).size).toBe(4);
  });
});
