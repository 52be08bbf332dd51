// Starts the real browser shell (dist/browser/main.js, as `npm start` does without Electron) on
// a free 127.0.0.1 port with its own data folder, and Debian's Chromium through playwright-core.
// Both are stopped, by PID, in the returned `stop`, whatever the test did.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = process.env.PUSHCONSOLE_CHROMIUM ?? '/usr/bin/chromium';

export interface RunningShell {
  readonly url: string;
  readonly child: ChildProcess;
  readonly output: () => string;
  stop(): Promise<void>;
}

export async function startBrowserShell(dataDir: string, timeoutMs = 20_000, extraEnv: Record<string, string> = {}): Promise<RunningShell> {
  const entry = path.join(repoRoot, 'dist/browser/main.js');
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run npm run build (npm test does)`);
  const child = spawn(process.execPath, [entry, '--port', '0', '--no-open'], {
    cwd: repoRoot,
    env: { ...process.env, PUSHCONSOLE_DATA_DIR: dataDir, PUSHCONSOLE_PACKAGE_PORT: '0', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid!, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid!, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`browser shell printed no URL in ${timeoutMs} ms:\n${output}`)), timeoutMs);
      const check = () => {
        const match = /^PUSHCONSOLE_URL=(\S+)$/m.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`browser shell exited with ${code}:\n${output}`));
      });
    });
    return { url, child, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Debian's Chromium, headless, with no traffic beyond loopback. Missing Chromium fails loudly. */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the end-to-end tests need Debian's chromium (scripts/setup.sh installs it)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * The console's page in a fresh context: the windows' viewport, the test's action timeout, page
 * errors collected (tests assert none), loaded and showing its heading.
 */
export async function openConsolePage(
  browser: Browser,
  url: string,
  options: { timeoutMs: number; acceptDownloads?: boolean; pageErrors?: string[] },
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, acceptDownloads: options.acceptDownloads ?? false });
  const page = await context.newPage();
  page.setDefaultTimeout(options.timeoutMs);
  if (options.pageErrors) {
    const errors = options.pageErrors;
    page.on('pageerror', (error) => errors.push(error.message));
  }
  await page.goto(url);
  await page.getByRole('heading', { name: 'Push Install Console' }).waitFor();
  return page;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface ConsoleShellFixture {
  /** The test's own folder (the console's data folder is `<dir>/data`). */
  readonly dir: string;
  readonly shell: RunningShell;
  readonly browser: Browser;
  readonly page: Page;
  /** Script errors that reached the page. */
  readonly pageErrors: string[];
}

/**
 * The usual e2e setting, registered as before/after hooks of the enclosing describe: a temp folder
 * (prepared by `setup`), the browser shell on `<dir>/data` with `env`, Chromium and the console's
 * page; all stopped and removed after, whatever the tests did.
 */
export function useConsoleShell(o: {
  prefix: string;
  env: Record<string, string> | ((dir: string) => Record<string, string>);
  setup?: (dir: string) => void | Promise<void>;
  startTimeoutMs?: number;
  acceptDownloads?: boolean;
}): ConsoleShellFixture {
  const fx = { dir: '', pageErrors: [] as string[] } as { -readonly [K in keyof ConsoleShellFixture]: ConsoleShellFixture[K] };
  before(async () => {
    fx.dir = tempDir(o.prefix);
    await o.setup?.(fx.dir);
    fx.shell = await startBrowserShell(path.join(fx.dir, 'data'), o.startTimeoutMs ?? 30_000, typeof o.env === 'function' ? o.env(fx.dir) : o.env);
    fx.browser = await launchChromium();
    fx.page = await openConsolePage(fx.browser, fx.shell.url, { timeoutMs: 15_000, pageErrors: fx.pageErrors, ...(o.acceptDownloads ? { acceptDownloads: true } : {}) });
  });
  after(async () => {
    await fx.browser?.close();
    await fx.shell?.stop();
    if (fx.dir) fs.rmSync(fx.dir, { recursive: true, force: true });
  });
  return fx;
}

/** In the wizard's Logon step: Set for All… with a stored credential, then waits for "all have credentials". */
export async function setForAllStored(page: Page, wizard: ReturnType<Page['getByRole']>, credential: string, computers: number): Promise<void> {
  await wizard.getByRole('button', { name: 'Set for All…' }).click();
  const setAll = page.getByRole('dialog', { name: 'Set for All' });
  await setAll.getByLabel('Use stored credentials').click();
  await page.getByRole('option', { name: credential }).click();
  await setAll.getByRole('button', { name: 'OK' }).click();
  await wizard.getByTestId('logon-summary').getByText(new RegExp(`${computers} computer\\(s\\); all have credentials`)).waitFor();
}
