import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCli } from '../helpers/builtCli';

/**
 * Files cnbook must refuse whole, before anything runs and without writing over them: bytes that are not
 * UTF-8, and front matter nested past the limit. No server is needed: the refusal comes before connecting,
 * which the connections (a port nothing listens on) and the sandbox (a home left empty) show.
 */
let dir: string;
let connections: string;
let sandboxHome: string;

beforeAll(() => {
  buildCli();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-input-'));
  sandboxHome = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-input-sandbox-'));
  const nowhere = { host: '127.0.0.1', port: 1, user: 'postgres', database: 'postgres', sslmode: 'disable' };
  connections = write(
    'connections.json',
    JSON.stringify({ connections: { nowhere }, profiles: { p: { primary: 'nowhere' } } }),
  );
});
afterAll(() => {
  for (const folder of [dir, sandboxHome]) if (folder) fs.rmSync(folder, { recursive: true, force: true });
});

function write(name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const cnbook = (args: string[]) => runCli(args, { env: { CNBOOK_SANDBOX_HOME: sandboxHome } });

const HEAD = '---\ncnbook: 2\ntitle: latin-1\n---\n\n```sql\n';
/** 'café' saved as Latin-1: the é is the lone byte e9, on line 7 after "SELECT 'caf" (11 characters). */
const latin1 = Buffer.concat([Buffer.from(`${HEAD}SELECT 'caf`), Buffer.from([0xe9]), Buffer.from("'\n```\n")]);
const latin1Message = new RegExp(
  `:7: line 7: column 12 \\(byte offset ${Buffer.byteLength(HEAD) + 11}\\) is not UTF-8: e9 starts a 3-byte ` +
    'sequence cut short by the byte 27',
);

describe('a runbook that is not UTF-8', () => {
  it('fails cnbook check with the line, column, byte offset and bytes', () => {
    const file = write('latin1-check.cnbook', latin1);
    const result = cnbook(['check', file]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(latin1Message);
    expect(result.stdout).not.toMatch(/ok/);
  });

  it.each([
    ['on connections', ['--connections', '', '--profile', 'p']],
    ['on the sandbox', ['--sandbox']],
  ])('is refused by cnbook run %s before anything runs, and its bytes stay as they were', (_how, extra) => {
    const file = write(`latin1-run-${extra[0]!.slice(2)}.cnbook`, latin1);
    const before = sha256(file);
    const args = extra.map((a) => (a === '' ? connections : a));
    const result = cnbook(['run', file, ...args, '--out', file]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(latin1Message);
    expect(result.stderr).not.toMatch(/wrote |127\.0\.0\.1:1\b|ECONNREFUSED/);
    expect(sha256(file)).toBe(before);
    expect(fs.readdirSync(sandboxHome)).toEqual([]);
  });
});

describe('front matter nested 1,000 deep', () => {
  it.each([
    ['flow lists', `a: ${'['.repeat(1000)}${']'.repeat(1000)}\n`, 3],
    ['block mappings', `a:\n${Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i + 1)}b:\n`).join('')}`, 67],
  ])('in %s: check and run say so plainly, and nothing is written', (name, yaml, line) => {
    const file = write(`deep-${name.replace(' ', '-')}.cnbook`, `---\ncnbook: 2\n${yaml}---\n\n# x\n`);
    const before = sha256(file);
    const plain = new RegExp(
      `:${line}: line ${line}: the front matter nests deeper than 64 levels \\(cnbook's limit\\)`,
    );
    const checked = cnbook(['check', file]);
    expect(checked.code).toBe(3);
    expect(checked.stderr).toMatch(plain);
    expect(checked.stderr).not.toMatch(/call stack/i);
    const ran = cnbook(['run', file, '--connections', connections, '--profile', 'p', '--out', file]);
    expect(ran.code).toBe(3);
    expect(ran.stderr).toMatch(plain);
    expect(sha256(file)).toBe(before);
  });
});

describe('a runbook with a UTF-8 BOM', () => {
  it('passes check, and a run over it writes the same bytes back, BOM included', () => {
    const bytes = Buffer.from('\uFEFF---\ncnbook: 2\ntitle: bom\n---\n\n# Only prose\n\nNothing to run.\n', 'utf8');
    const file = write('bom.cnbook', bytes);
    expect(cnbook(['check', file])).toMatchObject({ code: 0 });
    const ran = cnbook(['run', file, '--connections', connections, '--profile', 'p', '--out', file]);
    expect(ran.code).toBe(0);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });
});

// Issue 18: a tool that files tickets reads the record as one JSON document, not the HTML report.
describe('cnbook export --format json', () => {
  it('writes the whole record of a real run as plain JSON, and leaves the record as it was', () => {
    const record = path.resolve(__dirname, '../fixtures/format/valid/v2-demo-record.cnbook');
    const before = sha256(record);
    const out = path.join(dir, 'demo.record.json');
    const exported = cnbook(['export', record, '--format', 'json', '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    const doc = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown[]>;
    expect(doc.cnbookRecord).toBe(1);
    expect(doc.cells!.length).toBeGreaterThan(10);
    expect(doc.timeline!.length).toBeGreaterThan(5);
    expect(doc.diagnosis).toMatchObject({ problems: expect.any(Array) });
    expect(sha256(record)).toBe(before);
  });
});
