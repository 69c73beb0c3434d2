/**
 * The README's first command: a fresh sandbox (real PostgreSQL from npm: a primary, three streaming
 * replicas, a logical copy) with faults that cross several branches of the guide — a paused replica, drift
 * in `orders` on the copy, orphaned `order_items` — then `cnbook run runbooks/triage.cnbook --sandbox=demo`,
 * which prints the findings, the diagnosis and its path, and writes the record to out/. The sandbox stops
 * when the demo ends (a watchdog stops it even if the demo is killed).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseFault } from '../src/core/sandbox/faults';
import { injectFault } from '../src/sandbox/faults';
import { Sandbox } from '../src/sandbox/sandbox';
import { defaultSandboxFolder } from '../src/sandbox/state';
import { DEMO_FAULTS } from './demoFaults';

const NAME = 'demo';

async function main(): Promise<number> {
  const root = path.resolve(__dirname, '..');
  const sandbox = new Sandbox(NAME, defaultSandboxFolder(NAME));
  const began = Date.now();
  console.log(`Starting the sandbox '${NAME}' in ${sandbox.folder} (PostgreSQL from npm; no system server)...`);
  await sandbox.reset({ owner: process.pid });
  console.log(
    `  ${sandbox
      .status()
      .nodes.map((n) => `${n.name} (${n.role}) :${n.port}`)
      .join(', ')}`,
  );
  console.log(`  started in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  try {
    for (const spec of DEMO_FAULTS) {
      await injectFault(sandbox, parseFault(spec, sandbox.faultContext()));
      console.log(`  injected ${spec}`);
    }
    const out = path.join('out', 'triage.demo.cnbook');
    fs.mkdirSync(path.join(root, 'out'), { recursive: true });
    // A real incident, as a responder opens one, so the record's incident block and the report are filled.
    const incident = openIncident(root);
    fs.copyFileSync(incident, path.join(root, out));
    fs.rmSync(path.dirname(path.dirname(incident)), { recursive: true, force: true });
    const args = ['run', out, `--sandbox=${NAME}`, '--out', out];
    console.log(`\n$ cnbook ${args.join(' ')}`);
    const result = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), ...args], {
      cwd: root,
      stdio: 'inherit',
    });
    if (result.status === null || result.status > 2) {
      console.error(`\ncnbook run did not finish (exit ${result.status ?? result.signal}): see above.`);
      return 3;
    }
    console.log(`\nThe filled runbook (the incident record, diagnosis and chart included) is ${out}.`);
    console.log(`Open it in VS Code: code ${out}   (after 'npm run package && code --install-extension cnbook.vsix')`);
    console.log(`Practise on your own: cnbook sandbox start --fault ...   (cnbook sandbox --list-faults)`);
    console.log(`Demo done in ${((Date.now() - began) / 1000).toFixed(1)} s.`);
    // Exit 1 or 2 means the runbook ran and found the injected faults, which is the point of the demo.
    return 0;
  } finally {
    await sandbox.stop().catch(() => undefined);
  }
}

/** `cnbook incident new` on the triage runbook, in a scratch folder; returns the new incident's file. */
function openIncident(root: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbook-demo-'));
  const args = ['incident', 'new', 'runbooks/triage.cnbook', '--title', 'Orders disagree across the sandbox'];
  args.push('--severity', 'sev2', '--responder', 'demo', '--commander', 'demo', '--dir', dir);
  console.log(`\n$ cnbook ${args.join(' ')}`);
  const made = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), ...args], { cwd: root });
  if (made.status !== 0) throw new Error(`cnbook incident new failed: ${String(made.stderr).trim()}`);
  return String(made.stdout).trim();
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`demo failed: ${(error as Error).message}`);
    process.exitCode = 3;
  },
);
