// The browser shell on Windows: the console, built as an installed copy in the prefix's
// C:\Program Files\Push Install Console, runs its browser shell (dist/browser/main.js) on Windows
// Node under Wine, with no PUSHCONSOLE_DATA_DIR: its data folder is %APPDATA%\Push Install Console.
// Its bridge listens on 127.0.191.1, and the browser it opens (cmd /c start → Wine's winebrowser →
// a stand-in xdg-open that writes the URL down) gets the URL it printed. Simulated lab hosts run in
// this (Linux) process; Chromium on Linux, through Playwright, does what an admin does on Windows:
// Configuration, a package from C:\packages picked in the file chooser, the hosts added by address,
// then the seed workflow (test/support/seedWorkflow.ts, labPush's steps) — New Installation Task,
// Set for All, Test, the package, Finish — to every target succeeded in Installation History
// (test-output/e2e/windows-history.png), and F4 → View All Logs with each one's step log and MSI
// log. Ctrl+C (SIGINT, which Wine turns into the console's CTRL_C_EVENT) stops the shell in order;
// the database, with the task's step and MSI logs, and the package copy are in the Windows data
// folder, and no Linux path shows in the window or the shell's output. The shell's start time is
// measured against the same copy on Linux Node (docs/TESTING.md §4).
//
// Addresses and ports (shared machine): 127.0.191.0/24, TCP 14620-14639 only —
// 127.0.191.1:14620 the bridge on Windows, 14621 its package server (agents call back to
// 127.0.191.1, the callback address set in Configuration), 127.0.191.11-.14:14622 the lab hosts,
// 127.0.191.2:14623 the bridge of the Linux start-time run and 14624 its package server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startLab, type Lab } from '../../main/lab/lab.js';
import { launchChromium, openConsolePage } from '../support/browserShell.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { linuxPaths, stageConsole, startLinuxShell, waitForShellUrl, type StagedConsole } from '../support/consoleInstall.js';
import { choosePackage, finishWizard, newTaskOnGroup, saveSettings, setForAllNew, targetProperties, taskRow, testLogons, viewLogs } from '../support/seedWorkflow.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { createWineNode, type WineNode, type WineNodeProcess } from '../support/wineNode.js';

const BRIDGE_HOST = '127.0.191.1';
const BRIDGE_PORT = 14620;
const PACKAGE_PORT = 14621;
const LAB_FIRST = '127.0.191.11';
const LAB_PORT = 14622;
const LINUX_BRIDGE_HOST = '127.0.191.2';
const LINUX_BRIDGE_PORT = 14623;
const LINUX_PACKAGE_PORT = 14624;
const HOSTS = 4;
const addresses = Array.from({ length: HOSTS }, (_, i) => `127.0.191.${11 + i}`);
const GROUP = 'Lab on Linux';
const PACKAGE = 'Push Install Demo Agent 1.0.0';
const TASK = 'Push from Windows';
const DEMO_MSI = path.join(REPO_ROOT, 'assets', 'demo', 'PushInstallDemo.msi');
const shots = path.join(process.env.PUSHCONSOLE_TEST_OUTPUT ?? path.join(REPO_ROOT, 'test-output'), 'e2e');

let work: string;
let node: WineNode;
let app: StagedConsole;
let lab: Lab;
let shell: WineNodeProcess;
let shellUrl: { url: string; ms: number };
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** What the window showed, gathered along the way and searched for Linux paths at the end. */
const shown: { where: string; text: string }[] = [];
/** %APPDATA%\Push Install Console, as Windows and as Linux (inside the prefix) see it. */
let dataWin: string;
let dataUnix: string;
/** The install folder, as Windows sees it. */
let appWin: string;
/** The stand-in browser writes each URL it is asked to open here. */
let openedFile: string;

before(async () => {
  const t0 = Date.now();
  work = makeTempDir('pic-winshell-');
  fs.mkdirSync(shots, { recursive: true });
  // The prefix (about 10 s) and the build (a few seconds) at once; the copy then moves into C:.
  // Both are awaited before either's failure is thrown, so that after() closes a prefix that started.
  const [wineNode, built] = await Promise.allSettled([createWineNode(), stageConsole(path.join(work, 'Push Install Console'))]);
  if (wineNode.status === 'fulfilled') node = wineNode.value;
  if (wineNode.status === 'rejected') throw wineNode.reason;
  if (built.status === 'rejected') throw built.reason;
  const staged = built.value;
  const installed = path.join(node.wine.driveC, 'Program Files', 'Push Install Console');
  fs.renameSync(staged.dir, installed);
  app = { ...staged, dir: installed, browserMain: path.join(installed, 'dist', 'browser', 'main.js') };
  appWin = node.paths.toWindows(installed);
  dataWin = `${node.appData.windows}\\Push Install Console`;
  dataUnix = node.paths.toUnix(dataWin);
  const ready = Date.now();

  // The package where an admin keeps it; and a C:\tmp, which many Windows machines have (the file
  // chooser once offered it as a Linux-style "/tmp").
  fs.mkdirSync(path.join(node.wine.driveC, 'packages'));
  fs.copyFileSync(DEMO_MSI, path.join(node.wine.driveC, 'packages', 'PushInstallDemo.msi'));
  fs.mkdirSync(path.join(node.wine.driveC, 'tmp'));

  lab = await startLab({ hosts: HOSTS, first: LAB_FIRST, port: LAB_PORT, profile: 'healthy', installTimeMs: 300 });

  // Wine's winebrowser opens a URL with the first of xdg-open, firefox, … on the Unix PATH: this one
  // writes it down instead of opening a browser.
  const fakeBin = path.join(work, 'bin');
  fs.mkdirSync(fakeBin);
  openedFile = path.join(work, 'opened.txt');
  fs.writeFileSync(path.join(fakeBin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${openedFile}'\n`, { mode: 0o755 });

  const started = Date.now();
  shell = node.start([`${appWin}\\dist\\browser\\main.js`, '--host', BRIDGE_HOST, '--port', String(BRIDGE_PORT)], {
    cwd: installed,
    env: {
      PUSHCONSOLE_KEYCHAIN: 'off',
      // The lab hosts are this process's, on Linux: the shell starts none of its own.
      PUSHCONSOLE_LAB: '0',
      PUSHCONSOLE_PACKAGE_PORT: String(PACKAGE_PORT),
      PATH: `${fakeBin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    },
  });
  shellUrl = await waitForShellUrl(shell, started, 90_000);
  console.log(`# build ${staged.buildMs} ms (with the Wine prefix: ${ready - t0} ms), browser shell on Windows Node up in ${shellUrl.ms} ms`);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  shell?.kill();
  await lab?.close();
  await node?.close();
  if (work) removeDir(work);
});

/** The page, opened once (by the first test that needs it) at the URL the shell's browser was given. */
async function consolePage(): Promise<Page> {
  // (Should the opener have failed, the first test says so; the rest go on at the printed URL.)
  page ??= await openConsolePage(browser, opened()[0] ?? shellUrl.url, { timeoutMs: 20_000, pageErrors });
  return page;
}

function opened(): string[] {
  try {
    return fs.readFileSync(openedFile, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function remember(where: string, locator = page.locator('body')): Promise<void> {
  shown.push({ where, text: await locator.innerText() });
}

/** The promise's value, or 'timeout' after ms (the timer cleared either way: it would hold the test process up). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const dialog = (name: string) => page.getByRole('dialog', { name, exact: true });

test('the shell starts on Windows Node: data in %APPDATA%\\Push Install Console, the bridge on 127.0.191.1, the browser opened at its URL; start time against Linux Node', async (t) => {
  const { stdout, stderr } = shell.output();
  assert.equal(stderr, '', 'nothing on stderr');
  assert.match(stdout, new RegExp(`^Package server on TCP ${PACKAGE_PORT} `, 'm'));
  const url = new URL(shellUrl.url);
  assert.equal(url.host, `${BRIDGE_HOST}:${BRIDGE_PORT}`);
  assert.match(url.searchParams.get('token') ?? '', /^[A-Za-z0-9_-]{43,}$/);
  assert.ok(stdout.includes(`Data folder: ${dataWin}. Press Ctrl+C to stop.`), stdout);
  assert.deepEqual(linuxPaths(stdout, [node.wine.prefix]), [], "the shell's output names no Linux path");

  // cmd /c start "" <URL> → winebrowser → the stand-in: the URL arrives whole (the token included).
  const waited = Date.now();
  for (let i = 0; i < 300 && opened().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(opened(), [shellUrl.url], 'the browser the shell opened was given its URL');
  t.diagnostic(`the browser was opened ${Date.now() - waited} ms after the shell printed its URL (or sooner)`);

  // The same copy on Linux Node, started and read the same way (output to files, polled).
  const linuxData = path.join(work, 'linux-data');
  const started = Date.now();
  const linux = startLinuxShell(app.browserMain, ['--host', LINUX_BRIDGE_HOST, '--port', String(LINUX_BRIDGE_PORT), '--no-open'], {
    PUSHCONSOLE_DATA_DIR: linuxData,
    PUSHCONSOLE_KEYCHAIN: 'off',
    PUSHCONSOLE_LAB: '0',
    PUSHCONSOLE_PACKAGE_PORT: String(LINUX_PACKAGE_PORT),
  }, path.join(work, 'linux-output'));
  try {
    const onLinux = await waitForShellUrl(linux, started, 30_000);
    t.diagnostic(`browser shell start (spawn to its URL line): Windows Node under Wine ${shellUrl.ms} ms, Linux Node ${onLinux.ms} ms`);
    process.kill(linux.pid, 'SIGTERM');
    const end = await within(linux.exited(), 15_000);
    assert.deepEqual(end, { status: 0, signal: null }, `SIGTERM stops the Linux shell in order:\n${JSON.stringify(linux.output())}`);
    assert.match(linux.output().stdout, /^Push Install Console stopped\.$/m);
  } finally {
    linux.kill();
  }
});

test('as an admin on Windows: the footer names the Windows data folder; Configuration; a package from C:\\packages through the file chooser; the lab hosts added by address', async () => {
  await consolePage();
  const footer = page.getByText(/^Data: /);
  assert.equal(await footer.innerText(), `Data: ${dataWin}`);

  await saveSettings(page, { agentCallbackTimeoutSeconds: '20', connectTimeoutSeconds: '5', callbackAddress: BRIDGE_HOST });
  await remember('Configuration');

  await page.getByRole('tab', { name: 'Packages', exact: true }).click();
  await page.getByRole('button', { name: 'Create Package…' }).click();
  const create = dialog('Create Package');
  await create.getByRole('button', { name: 'Browse…' }).first().click();
  const chooser = dialog('Installer package (.msi)');
  // The places are <button>s (the folder's entries are list items with the button role).
  await chooser.getByRole('button', { name: 'Data folder' }).waitFor();
  const placeLabels = (await chooser.locator('button').allInnerTexts()).filter((label) => !/^(Go|Up|Cancel|Choose)$/.test(label));
  assert.deepEqual(placeLabels, ['Home', 'Data folder', 'C:\\'], "the chooser's places are Windows' own");
  await remember('file chooser (home)', chooser);
  await chooser.getByRole('button', { name: 'C:\\', exact: true }).click();
  await chooser.getByRole('button', { name: '📁 packages' }).click();
  // (The listing comes from main: its file is there once the folder is.)
  await chooser.getByText('PushInstallDemo.msi').waitFor();
  assert.equal(await chooser.getByTestId('chooser-folder').inputValue(), 'C:\\packages');
  await chooser.getByText('PushInstallDemo.msi').click();
  await chooser.getByRole('button', { name: 'Choose' }).click();
  // Main read the MSI at the path the chooser gave the field.
  await create.getByTestId('msi-info').getByText('Push Install Demo Agent').waitFor();
  assert.equal(await create.getByTestId('package-msi').inputValue(), 'C:\\packages\\PushInstallDemo.msi');
  assert.equal(await create.getByTestId('package-name').inputValue(), PACKAGE);
  await create.getByRole('button', { name: 'Create' }).click();
  await create.waitFor({ state: 'detached' });
  await page.getByTestId('packages-grid').getByRole('row').filter({ hasText: PACKAGE }).waitFor();
  await remember('Packages');

  await page.getByRole('tab', { name: 'Computers', exact: true }).click();
  await page.getByRole('button', { name: 'Add Computers ▾' }).click();
  await page.getByRole('menuitem', { name: 'Names, Addresses, Ranges or File…' }).click();
  const add = dialog('Add Computers');
  await add.getByTestId('add-computers-input').fill(addresses.map((a) => `${a}:${LAB_PORT}`).join('\n'));
  await add.getByTestId('add-computers-group').fill(GROUP);
  await add.getByRole('button', { name: 'Preview' }).click();
  await add.getByTestId('import-preview').getByText(`${HOSTS} computer(s) will be added`).waitFor();
  await add.getByRole('button', { name: `Add ${HOSTS}` }).click();
  await add.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: `${GROUP} (${HOSTS})` }).waitFor();
});

test('the seed workflow to the lab hosts: New Installation Task, Set for All, Test, the package, Finish → every target succeeded; View All Logs shows the step logs', async (t) => {
  const wizard = await newTaskOnGroup(page, { group: GROUP, count: HOSTS, firstComputer: addresses[0]! });
  await wizard.getByRole('button', { name: 'Continue' }).click();
  await setForAllNew(page, wizard, { user: `LAB\\${lab.account.user}`, password: lab.account.password, computers: HOSTS });
  const logon = await testLogons(wizard, addresses[0]!, 60_000);
  for (const address of addresses) await logon.getByRole('row').filter({ hasText: address }).getByText('ready to push').waitFor({ timeout: 60_000 });
  await choosePackage(wizard, { packageName: PACKAGE, taskName: TASK });
  const pushed = Date.now();
  await finishWizard(wizard);

  const row = taskRow(page, TASK);
  await row.getByText('finished', { exact: true }).waitFor({ timeout: 120_000 });
  await row.getByText(new RegExp(`${HOSTS} succeeded · 0 failed / ${HOSTS}`)).waitFor();
  t.diagnostic(`push of ${HOSTS} lab hosts from Windows Node: ${Date.now() - pushed} ms from Finish to finished`);
  const grid = page.getByTestId('targets-grid');
  for (const address of addresses) assert.match(await grid.getByRole('row').filter({ hasText: address }).innerText(), /succeeded/);
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(shots, 'windows-history.png') });
  await remember('Installation History');
  assert.deepEqual(lab.leftovers(), [], 'cleanup removed the agent, its job file and its service on every host');

  const props = await targetProperties(page, { computer: addresses[0]!, taskName: TASK });
  await remember('Properties', props);
  const log = await viewLogs(page, props, 'View All Logs', HOSTS);
  await log.getByText(new RegExp(`${addresses.at(-1)!.replace(/\./g, '\\.')} — MSI log`)).waitFor();
  const text = await log.innerText();
  for (const address of addresses) {
    assert.ok(text.includes(`==== ${address} — step log ====`), `${address}'s step log is shown`);
    assert.ok(text.includes(`==== ${address} — MSI log ====`), `${address}'s MSI log is shown`);
  }
  assert.match(text, new RegExp(`job file written; the agent calls back to ${BRIDGE_HOST.replace(/\./g, '\\.')}:${PACKAGE_PORT}`));
  assert.match(text, /MSI \(s\)/, 'the MSI verbose logs the agents sent');
  assert.doesNotMatch(text, /no MSI log/);
  shown.push({ where: 'View All Logs', text });
  await page.keyboard.press('Escape');
});

test('Ctrl+C stops the shell in order; the database with the step and MSI logs and the package are in %APPDATA%\\Push Install Console; no Linux path was shown', async (t) => {
  await browser.close();
  const t0 = Date.now();
  // Wine turns SIGINT into the console's CTRL_C_EVENT: Node's SIGINT, as Ctrl+C in its window.
  process.kill(shell.pid, 'SIGINT');
  const end = await within(shell.exited(), 30_000);
  if (end === 'timeout') assert.fail(`the shell still ran 30 s after Ctrl+C:\n${JSON.stringify(shell.output())}`);
  t.diagnostic(`Ctrl+C to exit: ${Date.now() - t0} ms`);
  assert.equal(end.status, 0, `an orderly stop exits 0:\n${end.stdout}\n${end.stderr}`);
  assert.match(end.stdout, /^Push Install Console stopped\.$/m);
  assert.equal(end.stderr, '');
  assert.deepEqual(linuxPaths(end.stdout, [node.wine.prefix]), []);

  const files = fs.readdirSync(dataUnix).sort();
  t.diagnostic(`${dataWin}: ${files.join(', ')}`);
  for (const f of ['config.json', 'console.sqlite3', 'packages', 'tls']) assert.ok(files.includes(f), `${f} in ${dataWin}: ${files.join(', ')}`);
  assert.ok(!files.includes('console.sqlite3-wal'), 'the database was closed: its last close checkpointed and removed the WAL');
  assert.deepEqual(fs.readdirSync(node.appData.unix).filter((f) => /push.?install/i.test(f)), ['Push Install Console'], 'one data folder in %APPDATA%');
  assert.equal((JSON.parse(fs.readFileSync(path.join(dataUnix, 'config.json'), 'utf8')) as { callbackAddress: string }).callbackAddress, BRIDGE_HOST);

  // The database read back by Windows Node's node:sqlite through its Windows path.
  const read = await node.run([
    '-e',
    `const { DatabaseSync } = require('node:sqlite');
     const db = new DatabaseSync(process.argv[1], { readOnly: true });
     const tasks = db.prepare('SELECT id, name FROM tasks').all();
     const targets = db.prepare('SELECT t.computer_name AS name, t.outcome, t.error_class AS errorClass, t.msi_log IS NOT NULL AND t.msi_log LIKE ? AS msiLog, (SELECT COUNT(*) FROM step_logs s WHERE s.target_id = t.id) AS steps FROM task_targets t ORDER BY t.id').all('%MSI (s)%');
     const details = db.prepare('SELECT detail FROM step_logs').all().map((s) => s.detail);
     const packages = db.prepare('SELECT msi_path AS msiPath FROM packages').all();
     console.log(JSON.stringify({ tasks, targets, details, packages }));`,
    `${dataWin}\\console.sqlite3`,
  ]);
  assert.equal(read.status, 0, read.stderr);
  const stored = JSON.parse(read.stdout) as { tasks: { name: string }[]; targets: { name: string; outcome: string; errorClass: string | null; msiLog: number; steps: number }[]; details: string[]; packages: { msiPath: string }[] };
  assert.deepEqual(stored.tasks.map((x) => x.name), [TASK]);
  assert.deepEqual(
    stored.targets.map((x) => ({ name: x.name, outcome: x.outcome, errorClass: x.errorClass, msiLog: x.msiLog })),
    addresses.map((name) => ({ name, outcome: 'succeeded', errorClass: null, msiLog: 1 })),
  );
  assert.ok(stored.targets.every((x) => x.steps >= 5), JSON.stringify(stored.targets));
  assert.equal(stored.packages.length, 1);
  assert.ok(stored.packages[0]!.msiPath.startsWith(`${dataWin}\\packages\\`) && stored.packages[0]!.msiPath.endsWith('\\PushInstallDemo.msi'), `the package's copy is in the data folder: ${stored.packages[0]!.msiPath}`);
  const copy = node.paths.toUnix(stored.packages[0]!.msiPath);
  assert.deepEqual(fs.readFileSync(copy), fs.readFileSync(DEMO_MSI), 'the copy is the MSI picked in C:\\packages');

  assert.deepEqual(linuxPaths(stored.details.join('\n'), [node.wine.prefix]), [], 'the step logs name no Linux path');
  const inWindow = shown.flatMap(({ where, text }) => linuxPaths(text, [node.wine.prefix]).map((p) => `${where}: ${p}`));
  assert.deepEqual(inWindow, [], 'no Linux path was shown in the window');
  assert.ok(shown.some(({ text }) => text.includes(dataWin)), 'the window showed the Windows data folder');
});

test('no script error reached the page', () => {
  assert.deepEqual(pageErrors, []);
});
