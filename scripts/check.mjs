// `npm run check`: the edit loop's gate (lint, typecheck, format, unit tests), run side by side because
// each is single-threaded; prints the output of whatever failed, and exits non-zero if anything did.
import { spawn } from 'node:child_process';

const steps = [
  ['lint', 'npm', ['run', '--silent', 'lint']],
  ['typecheck', 'npm', ['run', '--silent', 'typecheck']],
  ['format', 'npx', ['prettier', '--check', '--log-level', 'warn', '.']],
  ['unit', 'npx', ['vitest', 'run', '--project', 'unit', '--reporter', 'dot']],
];

const started = Date.now();
const results = await Promise.all(
  steps.map(
    ([name, command, args]) =>
      new Promise((resolve) => {
        const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        child.on('close', (code) => resolve({ name, code, output, ms: Date.now() - started }));
      }),
  ),
);
for (const r of results) console.log(`${r.code === 0 ? 'ok  ' : 'FAIL'} ${r.name} (${(r.ms / 1000).toFixed(1)} s)`);
for (const r of results.filter((r) => r.code !== 0)) console.log(`\n--- ${r.name} ---\n${r.output.trim()}`);
process.exitCode = results.every((r) => r.code === 0) ? 0 : 1;
