/** Entry point VS Code calls in the extension host (extensionTestsPath): runs the mocha suites. */
import Mocha from 'mocha';
import { registerCellTests } from './cells.test';
import { registerCellRefTests } from './cellRefs.test';
import { registerNotebookTests } from './notebook.test';
import { registerParamsTests } from './params.test';
import { registerSandboxTests } from './sandbox.test';
import { registerTrustTests } from './trust.test';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 90_000, color: false, reporter: 'spec' });
  const grep = process.env.CNBOOK_TEST_GREP;
  if (grep) mocha.grep(grep);
  // The suites are bundled into this file, so they register against mocha's globals directly.
  mocha.suite.emit('pre-require', globalThis, 'bundle', mocha);
  if (process.env.CNBOOK_TEST_TRUSTED === 'false') registerTrustTests();
  else {
    registerNotebookTests();
    registerCellTests();
    registerCellRefTests();
    registerParamsTests();
    // Last: it switches the active profile to the sandbox (and back).
    registerSandboxTests();
  }
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} VS Code test(s) failed`)) : resolve()));
  });
}
