/**
 * `npm run test:vscode:electron`: the same suite in desktop VS Code via @vscode/test-electron, for machines
 * that can download VS Code (these CI machines cannot; they use launchHeadless).
 */
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { createFixture } from './fixture';

async function main(): Promise<number> {
  const repoRoot = path.resolve(__dirname, '..', '..');
  const fixture = await createFixture(repoRoot);
  try {
    Object.assign(process.env, fixture.env, { CNBOOK_TEST_TRUSTED: 'true' });
    return await runTests({
      version: '1.139.1',
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(repoRoot, 'dist', 'test', 'suite', 'index.js'),
      launchArgs: [
        fixture.workspace,
        '--user-data-dir',
        fixture.userDataDir,
        '--extensions-dir',
        fixture.extensionsDir,
        '--disable-workspace-trust',
      ],
    });
  } finally {
    await fixture.dispose();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
