/**
 * `npm run test:vscode`: the extension's suite inside a real VS Code (code-server + Chromium), against a
 * real PostgreSQL cluster. Runs twice: trusted (the main suite) and untrusted (nothing may execute).
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { runCodeServerSession } from './codeServerSession';
import { createFixture } from './fixture';

async function main(): Promise<number> {
  const repoRoot = path.resolve(__dirname, '..', '..');
  const installer = path.join(repoRoot, '.ci', 'install-vscode-test-deps.sh');
  const cache = execFileSync('bash', [installer], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop() ?? '';
  const verbose = process.env.CNBOOK_TEST_VERBOSE === '1';
  const screenshotsDir = path.join(repoRoot, 'test-results', 'screenshots');
  const started = Date.now();
  const fixture = await createFixture(repoRoot);
  try {
    const trusted = await runCodeServerSession({ cache, repoRoot, fixture, trusted: true, screenshotsDir, verbose });
    const untrusted = await runCodeServerSession({ cache, repoRoot, fixture, trusted: false, grep: 'untrusted', screenshotsDir, verbose });
    console.log(`VS Code suites: trusted exit ${trusted}, untrusted exit ${untrusted}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return trusted === 0 && untrusted === 0 ? 0 : 1;
  } finally {
    await fixture.dispose();
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
