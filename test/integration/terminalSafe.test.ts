/**
 * Issue 16 item 9: text from a server (errors, hints, notices, values, column names) and connection labels
 * never reach the terminal with control characters, from the built CLI on a real server; the record still
 * holds each value exactly.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNotebook } from '../../src/core/format';
import { RESULT_MIME, type CodeCell } from '../../src/core/format/model';
import type { ResultPayload } from '../../src/core/sql/payload';
import { buildCli, CLI } from '../helpers/builtCli';
import { startStandalone, type PgServer } from '../helpers/pgCluster';

let server: PgServer;
let dir: string;

// ESC ] 0 ; … BEL retitles a terminal, ESC [ 2 J clears it, CSI (U+009B) starts a command, U+202E reorders.
const HOSTILE_SQL = `E'\\x1b]0;PWNED\\x07\\x1b[2J' || chr(155) || '31m' || U&'\\202Eevil\\2066'`;
const HOSTILE = '\x1b]0;PWNED\x07\x1b[2J\u009b31m\u202eevil\u2066';
const LABEL = 'db\x1b]0;LABEL\x07';

beforeAll(async () => {
  buildCli();
  server = await startStandalone();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-terminal-'));
  const url = `postgres://postgres@127.0.0.1:${server.port}/postgres?sslmode=disable`;
  const connections = { connections: { [LABEL]: { url } }, profiles: { test: { primary: LABEL } } };
  fs.writeFileSync(path.join(dir, 'connections.json'), JSON.stringify(connections));
});
afterAll(async () => {
  await server?.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function runbook(name: string, cells: string[]): string {
  const file = path.join(dir, name);
  const body = cells.map((sql) => `\`\`\`sql\n${sql}\n\`\`\`\n`).join('\n');
  fs.writeFileSync(file, `---\ncnbook: 2\ntitle: ${name}\n---\n\n${body}`);
  return file;
}

/** The built CLI's stdout and stderr as the bytes a terminal would get. */
function run(file: string, ...more: string[]) {
  const args = ['run', file, '--connections', 'connections.json', '--profile', 'test', '--max-value-bytes', '50'];
  args.push('--out', `${file}.out`);
  const result = spawnSync(process.execPath, [CLI, ...args, ...more], { cwd: dir, env: process.env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, record: `${file}.out` };
}

/** No byte or character a terminal acts on: ESC, BEL, CSI (U+009B, C2 9B in UTF-8), bidi overrides. */
function expectInert(bytes: Buffer): void {
  const text = bytes.toString('utf8');
  expect(Buffer.from(text, 'utf8').equals(bytes), 'valid UTF-8').toBe(true);
  expect(bytes.includes(0x1b), text).toBe(false);
  expect(bytes.includes(0x07), text).toBe(false);
  expect(bytes.includes(Buffer.from([0xc2, 0x9b])), text).toBe(false);
  expect(text, text).not.toMatch(/[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/);
}

function results(record: string): ResultPayload[] {
  const cells = parseNotebook(fs.readFileSync(record, 'utf8')).cells.filter((c): c is CodeCell => c.kind === 'code');
  return cells.flatMap((cell) =>
    (cell.outputs ?? []).flatMap((o) =>
      o.items.filter((i) => i.mime === RESULT_MIME).map((i) => JSON.parse(i.text ?? '') as ResultPayload),
    ),
  );
}

describe('the terminal stays the user’s', () => {
  const cells = [
    `SELECT ${HOSTILE_SQL} AS v, 1 AS n`,
    // Cut (--max-value-bytes 50), so that the CLI names its column on the terminal.
    `SELECT repeat('x', 100) AS U&"col\\001B]0;COL\\0007"`,
    `DO $$ BEGIN RAISE NOTICE '%', ${HOSTILE_SQL}; END $$`,
    `DO $$ BEGIN RAISE EXCEPTION '%', ${HOSTILE_SQL} USING HINT = ${HOSTILE_SQL}, DETAIL = ${HOSTILE_SQL}; END $$`,
  ];

  it('escapes values, column names, notices, errors, hints and connection labels, and keeps them in the record', () => {
    const plain = run(runbook('hostile.cnbook', cells));
    expect(plain.code, plain.stderr.toString()).toBe(3);
    expect(plain.stderr.toString()).toContain('\\x1b]0;PWNED\\x07');
    expect(plain.stderr.toString()).toContain('db\\x1b]0;LABEL\\x07');
    expect(plain.stderr.toString()).toContain('col\\x1b]0;COL\\x07: value kept cut');
    expectInert(plain.stdout);
    expectInert(plain.stderr);
    const [payload, cut] = results(plain.record);
    expect(cut!.results[0]!.statements![0]!.columns[0]!.name).toBe('col\x1b]0;COL\x07');
    expect(payload!.results[0]!.connection).toBe(LABEL);
    const statement = payload!.results[0]!.statements![0]!;
    expect(statement.rows).toEqual([[HOSTILE, '1']]);
  });

  it('keeps --json output inert too, and it still parses to the exact text', () => {
    const json = run(runbook('hostile-json.cnbook', cells), '--json');
    expectInert(json.stdout);
    expectInert(json.stderr);
    const summary = JSON.parse(json.stdout.toString()) as { cells: { error?: string; connections: string[] }[] };
    expect(summary.cells[3]!.error).toContain(HOSTILE);
    expect(summary.cells[0]!.connections).toEqual([LABEL]);
  });
});
