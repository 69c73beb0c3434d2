import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

// Chromium from the system (Debian's package in CI): no browser download, no network, no first-run noise.
const QUIET_OFFLINE = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium for the browser tests and the VS Code session; `fileAccess` lets file:// pages load files. */
export function launchChromium(options: { fileAccess?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CNBOOK_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: options.fileAccess ? [...QUIET_OFFLINE, '--allow-file-access-from-files'] : QUIET_OFFLINE,
  });
}

/** Installs what the browser tests need if it is missing (Debian's Chromium and fonts; the script is idempotent). */
export function installBrowserDeps(repoRoot: string): void {
  execFileSync('bash', [path.join(repoRoot, '.ci', 'install-vscode-test-deps.sh')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
