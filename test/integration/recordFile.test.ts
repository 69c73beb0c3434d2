import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomically } from '../../src/drivers/recordFile';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-recordfile-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

describe('writeFileAtomically (how the CLI writes a record)', () => {
  it('keeps the mode of the record it replaces: 0600 stays 0600, 0640 stays 0640', () => {
    for (const mode of [0o600, 0o640]) {
      const file = path.join(dir, `r${mode.toString(8)}.cnbook`);
      fs.writeFileSync(file, 'old');
      fs.chmodSync(file, mode);
      writeFileAtomically(file, 'new');
      expect(fs.readFileSync(file, 'utf8')).toBe('new');
      expect(modeOf(file)).toBe(mode);
    }
  });

  it('writes through a symlink: the link stays a link and its target gets the content and keeps its mode', () => {
    const real = path.join(dir, 'records', 'r.cnbook');
    fs.mkdirSync(path.dirname(real));
    fs.writeFileSync(real, 'old');
    fs.chmodSync(real, 0o600);
    const link = path.join(dir, 'r.cnbook');
    fs.symlinkSync(path.relative(dir, real), link);
    writeFileAtomically(link, 'new');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(real, 'utf8')).toBe('new');
    expect(modeOf(real)).toBe(0o600);
    // The temporary file lived beside the target (one file system, so the rename is atomic) and is gone.
    expect(fs.readdirSync(path.dirname(real))).toEqual(['r.cnbook']);
    expect(fs.readdirSync(dir).sort()).toEqual(['r.cnbook', 'records']);
  });

  it('follows a chain of links and a dangling one, creating the file the link names', () => {
    const real = path.join(dir, 'target.cnbook');
    fs.symlinkSync('target.cnbook', path.join(dir, 'b.cnbook'));
    fs.symlinkSync('b.cnbook', path.join(dir, 'a.cnbook'));
    writeFileAtomically(path.join(dir, 'a.cnbook'), 'text');
    expect(fs.readFileSync(real, 'utf8')).toBe('text');
    expect(fs.lstatSync(path.join(dir, 'a.cnbook')).isSymbolicLink()).toBe(true);
  });

  it('exclusive: never replaces an existing file, and leaves no temporary file behind', () => {
    const file = path.join(dir, 'incident.cnbook');
    writeFileAtomically(file, 'first', { exclusive: true });
    expect(() => writeFileAtomically(file, 'second', { exclusive: true })).toThrow(/EEXIST/);
    expect(fs.readFileSync(file, 'utf8')).toBe('first');
    expect(fs.readdirSync(dir)).toEqual(['incident.cnbook']);
  });

  it('a folder that does not exist fails with ENOENT and creates nothing', () => {
    expect(() => writeFileAtomically(path.join(dir, 'missing', 'r.cnbook'), 'x')).toThrow(/ENOENT/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
