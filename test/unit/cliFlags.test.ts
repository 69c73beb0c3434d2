import { describe, expect, it } from 'vitest';
import { parseRunArgs } from '../../src/cli/args';
import { parseDiffArgs } from '../../src/cli/diffArgs';
import { parseExportArgs } from '../../src/cli/exportCommand';
import { parseFlags } from '../../src/cli/flags';
import { parseSandboxArgs } from '../../src/cli/sandboxCommand';

describe('the command-line flag parser', () => {
  const spec = { '--out': 'value', '--json': 'switch', '--sandbox': 'inline-optional' } as const;

  it('reads --flag V and --flag=V alike, keeps every repeat in order, and leaves positionals', () => {
    const flags = parseFlags(['a.cnbook', '--out', 'x', '--out=y', '--json', '--sandbox', 'b'], spec);
    expect(flags.values.get('--out')).toEqual(['x', 'y']);
    expect(flags.values.get('--json')).toEqual(['']);
    // An inline-optional flag never takes the next word: `--sandbox b` leaves b a positional.
    expect(flags.values.get('--sandbox')).toEqual(['']);
    expect(flags.positionals).toEqual(['a.cnbook', 'b']);
  });

  it('names an unknown flag with the nearest known one, and a flag missing its value', () => {
    expect(() => parseFlags(['--ot', 'x'], spec)).toThrow(/unknown option --ot \(did you mean '--out'\?\)/);
    expect(() => parseFlags(['--out'], spec)).toThrow('--out needs a value');
    expect(() => parseFlags(['--json=yes'], spec)).toThrow('--json takes no value');
  });
});

describe('each command on the shared parser', () => {
  it('cnbook run: params, durations, the sandbox name', () => {
    const args = parseRunArgs(['r.cnbook', '--param', 'table=orders', '--param=since=1h', '--statement-timeout=2s']);
    expect(args).toMatchObject({
      file: 'r.cnbook',
      params: { table: 'orders', since: '1h' },
      statementTimeoutMs: 2000,
    });
    expect(parseRunArgs(['r.cnbook', '--sandbox']).sandbox).toBe('default');
    expect(parseRunArgs(['r.cnbook', '--sandbox=drill']).sandbox).toBe('drill');
    expect(() => parseRunArgs(['r.cnbook', '--max-rows', 'lots'])).toThrow(
      "--max-rows expects a whole number, got 'lots'",
    );
    expect(() => parseRunArgs(['r.cnbook', '--param', 'oops'])).toThrow("--param expects KEY=VALUE, got 'oops'");
  });

  it('cnbook diff: lists, defaults and what is required', () => {
    const args = parseDiffArgs(['--source', 'a', '--target=b', '--table', 't', '--key', 'x, y', '--settle', '1s']);
    expect(args).toMatchObject({ key: ['x', 'y'], settleMs: 1000, queryTimeoutMs: 5000, limit: 20, json: false });
    expect(args.maxKeys).toBe(100_000);
    expect(parseDiffArgs(['--source', 'a', '--target', 'b', '--table', 't', '--max-keys', '50']).maxKeys).toBe(50);
    expect(() => parseDiffArgs(['--source', 'a', '--target', 'b', '--table', 't', '--max-keys', '0'])).toThrow(
      '--max-keys expects a number above 0',
    );
    expect(() => parseDiffArgs(['--source', 'a', '--table', 't'])).toThrow('diff needs --target');
    expect(() => parseDiffArgs(['--source', 'a', '--target', 'b', '--table', 't', 'extra'])).toThrow(
      "diff takes no argument 'extra'",
    );
  });

  it('cnbook sandbox: a verb, faults as flags or words after inject', () => {
    expect(parseSandboxArgs(['inject', 'pause=us-west', '--fault', 'drift=orders'])).toMatchObject({
      action: 'inject',
      faults: ['drift=orders', 'pause=us-west'],
    });
    expect(() => parseSandboxArgs(['status', 'now'])).toThrow("sandbox status takes no argument 'now'");
    expect(() => parseSandboxArgs(['strat'])).toThrow(/unknown sandbox command 'strat' \(did you mean 'start'\?\)/);
    expect(() => parseSandboxArgs(['start', '--replicas', '9'])).toThrow("--replicas expects 0 to 8, got '9'");
  });

  it('cnbook export: the format follows --out when not given', () => {
    expect(parseExportArgs(['i.cnbook', '--out=r.md'])).toMatchObject({ format: 'md', out: 'r.md' });
    expect(parseExportArgs(['i.cnbook'])).toMatchObject({ format: 'html', out: 'i.report.html' });
  });
});
