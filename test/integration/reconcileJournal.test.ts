import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNotebook } from '../../src/core/format';
import { FINDINGS_MIME, type CodeCell } from '../../src/core/format/model';
import { readFindingsOutput } from '../../src/core/probes/render';
import { journaledWrites, parseJournal } from '../../src/core/record/journal';
import { timelineOf } from '../../src/core/record/timeline';
import { buildCli, CLI, runCliAsync, writePairConnections } from '../helpers/builtCli';
import { startStandalone, type PgServer } from '../helpers/pgCluster';

let source: PgServer;
let copy: PgServer;
let dir: string;

const ROWS = 30_000;
const BATCH = 100;
const RUNBOOK =
  '---\ncnbook: 1\ntitle: Repair\nroles: [primary, copy]\n---\n# Repair\n\n```cnprobe\n' +
  `reconcile table=items from=primary to=copy apply=yes batch=${BATCH}\n\`\`\`\n`;
const CHANGED = `SELECT count(*)::int AS n FROM items WHERE name LIKE 'new%'`;

beforeAll(async () => {
  buildCli();
  [source, copy] = await Promise.all([startStandalone(), startStandalone()]);
  const load = (prefix: string) =>
    `CREATE TABLE items (id int PRIMARY KEY, name text); ` +
    `INSERT INTO items SELECT g, '${prefix} ' || g FROM generate_series(1, ${ROWS}) g`;
  await Promise.all([source.query(load('new')), copy.query(load('old'))]);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-journal-'));
  writePairConnections(dir, source.port, copy.port);
});
afterAll(async () => {
  await Promise.all([source?.destroy(), copy?.destroy()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const runArgs = (file: string, ...more: string[]) => [
  'run',
  file,
  '--out',
  file,
  '--connections',
  'connections.json',
  '--profile',
  'pair',
  ...more,
];

/** Starts an applying run of `file` in place and sends `signal` once `batches` batches are journaled as committed. */
async function interruptApply(file: string, signal: NodeJS.Signals, batches: number) {
  const child = spawn(process.execPath, [CLI, ...runArgs(file, '--allow-writes', '--json')], {
    cwd: dir,
    env: { ...process.env, PGPASSWORD: '' },
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const journal = `${path.join(dir, file)}.journal`;
  const committed = () =>
    fs.existsSync(journal) ? fs.readFileSync(journal, 'utf8').split('"batch-committed"').length - 1 : 0;
  for (let i = 0; i < 1200 && committed() < batches; i++) await new Promise((r) => setTimeout(r, 25));
  expect(committed()).toBeGreaterThanOrEqual(batches);
  child.kill(signal);
  return { code: await exited, stdout };
}

async function resetCopy(): Promise<void> {
  await copy.query(`UPDATE items SET name = 'old ' || id`);
}

describe('reconcile apply=yes journals every committed batch', () => {
  it('SIGKILL mid-apply: the journal says exactly what the server committed; the next run folds it in', async () => {
    await resetCopy();
    const file = 'killed.cnbook';
    fs.writeFileSync(path.join(dir, file), RUNBOOK);
    const { code } = await interruptApply(file, 'SIGKILL', 5);
    expect(code).toBeNull();
    const changedOnServer = (await copy.query(CHANGED))[0].n as number;
    const journal = fs.readFileSync(path.join(dir, `${file}.journal`), 'utf8');
    const [write, ...others] = journaledWrites(parseJournal(journal).lines);
    expect(others).toEqual([]);
    expect(write).toMatchObject({ ended: false, batches: ROWS / BATCH, table: 'items', connection: 'west' });
    expect(write!.rowsChanged).toBe(write!.batchesCommitted * BATCH);
    // A kill between the server's COMMIT and its answer leaves that one batch in doubt, and the journal says so.
    const inDoubt = write!.batchInDoubt?.statements ?? 0;
    expect([write!.rowsChanged, write!.rowsChanged + inDoubt]).toContain(changedOnServer);
    if (!write!.batchInDoubt) expect(changedOnServer).toBe(write!.rowsChanged);
    expect(fs.readFileSync(path.join(dir, file), 'utf8')).toBe(RUNBOOK);

    const check = await runCliAsync(['check', file], { cwd: dir });
    expect(check.code).toBe(3);
    expect(check.stderr).toContain(
      `reconcile interrupted: ${write!.batchesCommitted} of ${ROWS / BATCH} batches committed ` +
        `(${write!.rowsChanged} rows changed) on west, items`,
    );

    // Without --allow-writes the cell itself is refused: what the record keeps of the apply is the journal's.
    const next = await runCliAsync(runArgs(file), { cwd: dir, env: { PGPASSWORD: '' } });
    expect(next.stderr).toContain('took over the lock');
    expect(next.code).not.toBeNull();
    const record = parseNotebook(fs.readFileSync(path.join(dir, file), 'utf8'));
    const folded = timelineOf(record.cells).filter((e) => e.kind === 'journal');
    expect(folded).toHaveLength(1);
    expect(folded[0]).toMatchObject({
      cell: 1,
      write: { batchesCommitted: write!.batchesCommitted, rowsChanged: write!.rowsChanged },
    });
    expect(fs.existsSync(path.join(dir, `${file}.journal`))).toBe(false);
    expect((await runCliAsync(['check', file], { cwd: dir })).code).toBe(0);
  }, 120_000);

  it('stopped with SIGTERM mid-apply: the record written says what committed, and no journal is left', async () => {
    await resetCopy();
    const file = 'stopped.cnbook';
    fs.writeFileSync(path.join(dir, file), RUNBOOK);
    const { code } = await interruptApply(file, 'SIGTERM', 5);
    expect(code).toBe(3);
    const changedOnServer = (await copy.query(CHANGED))[0].n as number;
    const record = parseNotebook(fs.readFileSync(path.join(dir, file), 'utf8'));
    const cell = record.cells[1] as CodeCell;
    const text = cell.outputs?.[0]?.items.find((i) => i.mime === FINDINGS_MIME)?.text ?? '';
    const [finding] = readFindingsOutput(text);
    expect(finding?.summary).toMatch(/stopped after \d+ of 300 transactions \(/);
    expect(finding?.metrics.rowsChanged).toBe(changedOnServer);
    expect(finding?.metrics.batchesApplied).toBe(changedOnServer / BATCH);
    expect(fs.existsSync(path.join(dir, `${file}.journal`))).toBe(false);
  }, 120_000);
});
