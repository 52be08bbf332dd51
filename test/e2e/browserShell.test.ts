// End to end: the browser shell as `npm start` runs it, in Debian's Chromium through
// playwright-core. Visits every tab, asserts what each shows from the real services and
// database, and saves a screenshot of each under test-output/e2e/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openDatabase } from '../../main/store/database.js';
import { PackagesRepo } from '../../main/store/packagesRepo.js';
import { TasksRepo } from '../../main/store/tasksRepo.js';
import { launchChromium, repoRoot, startBrowserShell, tempDir, type RunningShell } from '../support/browserShell.js';

const shots = path.join(process.env.PUSHCONSOLE_TEST_OUTPUT ?? path.join(repoRoot, 'test-output'), 'e2e');

/** A history the UI must show: one task, one target succeeded, one failed with access-denied. */
function seed(dataDir: string) {
  const db = openDatabase({ location: dataDir });
  try {
    const pkg = new PackagesRepo(db).add({
      name: 'Endpoint Agent',
      msiFileName: 'endpoint-agent.msi',
      msiPath: path.join(dataDir, 'packages', 'endpoint-agent.msi'),
      msiSize: 3_481_600,
      msiSha256: 'a'.repeat(64),
      productName: 'Endpoint Agent',
      productVersion: '11.0.2044.0',
      manufacturer: 'Example Security',
      productCode: '{6F1C3A52-0000-4C1D-9A3E-1234567890AB}',
      configFileName: 'cfg.xml',
      parameters: 'REBOOT=ReallySuppress',
    });
    const tasks = new TasksRepo(db);
    const { targetIds } = tasks.create({
      name: 'Deploy Endpoint Agent',
      packageId: pkg.id,
      scheduledAt: null,
      targets: [
        { computerId: null, computerName: 'WS-ACCT-01' },
        { computerId: null, computerName: 'WS-ACCT-02' },
      ],
    });
    const [ok, denied] = targetIds as [number, number];
    db.prepare(`UPDATE task_targets SET state = 'done', outcome = 'succeeded', progress = 100 WHERE id = ?`).run(ok);
    db.prepare(`UPDATE task_targets SET state = 'done', outcome = 'failed', error_class = 'access-denied', error_code = 'STATUS_ACCESS_DENIED' WHERE id = ?`).run(denied);
    tasks.appendStep(ok, 'copying', 'Copied the agent to ADMIN$ (100 %)');
    tasks.appendStep(ok, 'installing', 'msiexec exited with 0');
    tasks.appendStep(denied, 'connecting', 'TREE_CONNECT \\\\WS-ACCT-02\\ADMIN$ refused', 'STATUS_ACCESS_DENIED');
  } finally {
    db.close();
  }
}

describe('browser shell in Chromium', () => {
  let dataDir: string;
  let shell: RunningShell;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    fs.mkdirSync(shots, { recursive: true });
    dataDir = tempDir('pic-e2e-');
    seed(dataDir);
    shell = await startBrowserShell(dataDir, 20_000, { PUSHCONSOLE_LAB: '0' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 820 } });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(shell.url);
  });

  after(async () => {
    await browser?.close();
    await shell?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const tab = (name: string) => page.getByRole('tab', { name, exact: true });
  const row = (text: string) => page.getByRole('row').filter({ hasText: text });

  test('the page loads with the token, which then leaves the address bar', async () => {
    await page.getByRole('heading', { name: 'Push Install Console' }).waitFor();
    assert.equal(new URL(page.url()).search, '');
    for (const name of ['Computers', 'Installation History', 'Packages', 'Configuration']) {
      assert.equal(await tab(name).count(), 1, `tab ${name}`);
    }
    await page.getByText('browser shell').waitFor();
  });

  const openAdd = async () => {
    await page.getByRole('button', { name: 'Add Computers ▾' }).click();
    await page.getByRole('menuitem', { name: 'Names, Addresses, Ranges or File…' }).click();
  };

  test('Computers: adding names and addresses lists them; invalid entries are shown with line and reason, nothing added', async () => {
    await tab('Computers').click();
    await page.getByTestId('empty-state').getByText('No computers yet').waitFor();
    await openAdd();
    await page.getByTestId('add-computers-input').fill('pc01, 127.0.10.1\nfileserver.corp.example');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await row('PC01').waitFor();
    await row('127.0.10.1').waitFor();
    await row('fileserver.corp.example').waitFor();
    assert.match(await page.getByTestId('computers-count').innerText(), /^3 computer\(s\)/);
    await page.getByTestId('activity-line').getByText('Added 3 computer(s).').waitFor();

    await openAdd();
    await page.getByTestId('add-computers-input').fill('300.1.2.3 bad|name');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const invalid = page.getByTestId('invalid-line');
    await invalid.first().waitFor();
    assert.deepEqual(await invalid.allInnerTexts(), [
      '✗ line 1: 300.1.2.3 — not a valid IPv4 address',
      '✗ line 1: bad|name — contains a character Windows does not allow in a computer name',
    ]);
    await page.getByRole('dialog', { name: 'Add Computers' }).getByRole('button', { name: 'Close', exact: true }).click();
    assert.match(await page.getByTestId('computers-count').innerText(), /^3 computer\(s\)/);
  });

  test('Computers: the filter narrows the grid and clearing it brings every row back', async () => {
    const filter = page.getByPlaceholder('Filter computers');
    await filter.fill('corp.example');
    await row('fileserver.corp.example').waitFor();
    await row('PC01').waitFor({ state: 'detached' });
    await filter.fill('');
    await row('PC01').waitFor();
    assert.equal(await page.getByRole('row').count(), 4); // header + 3 computers
  });

  test('Computers: a click on the Address header sorts addresses by their numbers (again: descending); blanks stay last', async () => {
    await openAdd();
    await page.getByTestId('add-computers-input').fill('127.0.10.10\n127.0.10.9\n127.0.10.100');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await row('127.0.10.100').waitFor();
    const grid = page.getByTestId('computers-grid');
    const header = grid.getByRole('columnheader', { name: /^Address/ });
    const order = async () => (await grid.locator('tbody tr[data-row-id] td:nth-child(2)').allInnerTexts()).map((t) => t.trim());
    await header.click();
    assert.equal(await header.getAttribute('aria-sort'), 'ascending');
    assert.deepEqual(await order(), ['127.0.10.1', '127.0.10.9', '127.0.10.10', '127.0.10.100', '—', '—']);
    await header.click();
    assert.equal(await header.getAttribute('aria-sort'), 'descending');
    assert.deepEqual(await order(), ['127.0.10.100', '127.0.10.10', '127.0.10.9', '127.0.10.1', '—', '—']);
    // Put the list back as the next tests expect it (three computers): Ctrl+click the three added rows.
    const cellRow = (address: string) => grid.locator('tbody tr[data-row-id]').filter({ has: page.getByRole('cell', { name: address, exact: true }) });
    await cellRow('127.0.10.9').click();
    await cellRow('127.0.10.10').click({ modifiers: ['Control'] });
    await cellRow('127.0.10.100').click({ modifiers: ['Control'] });
    await page.keyboard.press('Delete');
    const confirm = page.getByRole('dialog', { name: 'Remove 3 computer(s)?' });
    await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
    await row('127.0.10.100').waitFor({ state: 'detached' });
    assert.match(await page.getByTestId('computers-count').innerText(), /^3 computer\(s\)/);
  });

  test('Computers: F4 opens Properties of the selected computer', async () => {
    await row('PC01').click();
    await page.keyboard.press('F4');
    const dialog = page.getByRole('dialog', { name: 'Computer Properties' });
    await dialog.waitFor();
    await dialog.getByRole('cell', { name: 'PC01', exact: true }).waitFor();
    await page.screenshot({ path: path.join(shots, 'computers-properties.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.screenshot({ path: path.join(shots, 'computers.png') });
  });

  test('Installation History: the task, its targets with error class, and View All Logs', async () => {
    await tab('Installation History').click();
    const taskRow = row('Deploy Endpoint Agent');
    await taskRow.getByText('1 succeeded · 1 failed / 2').waitFor();
    // Nothing was chosen yet: the newest task is, and its computers are listed under it.
    await page.getByTestId('targets-heading').getByText('Deploy Endpoint Agent: 2 computer(s)').waitFor();
    assert.equal(await page.getByTestId('tasks-grid').getByRole('row').filter({ hasText: 'Deploy Endpoint Agent' }).getAttribute('aria-selected'), 'true');
    for (const name of ['WS-ACCT-01', 'WS-ACCT-02']) await page.getByTestId('targets-grid').getByRole('row').filter({ hasText: name }).waitFor();
    await taskRow.click();
    await page.keyboard.press('F4');
    const dialog = page.getByRole('dialog', { name: 'Task: Deploy Endpoint Agent' });
    await dialog.waitFor();
    await dialog.getByRole('row').filter({ hasText: 'WS-ACCT-02' }).getByText('access-denied').waitFor();
    await dialog.getByRole('button', { name: 'View All Logs' }).click();
    const viewer = page.getByRole('dialog', { name: /^Logs of 2 computer\(s\)/ });
    const log = viewer.getByTestId('log-view');
    await log.getByText(/WS-ACCT-01\s+installing\s+msiexec exited with 0/).waitFor();
    assert.match(await log.innerText(), /WS-ACCT-02\s+connecting\s+TREE_CONNECT .*\[STATUS_ACCESS_DENIED\]/);
    await page.screenshot({ path: path.join(shots, 'history-properties.png') });
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.screenshot({ path: path.join(shots, 'history.png') });
  });

  test('Packages: the stored package with its product details', async () => {
    await tab('Packages').click();
    const pkgRow = row('Endpoint Agent 11.0.2044.0');
    await pkgRow.getByText('Example Security').waitFor();
    await pkgRow.getByText('endpoint-agent.msi (3.3 MB)').waitFor();
    await page.screenshot({ path: path.join(shots, 'packages.png') });
  });

  test('Configuration: a saved setting (and the Authentication policy, KDCs and realms) persists across a reload; an invalid one is refused with advice', async () => {
    await tab('Configuration').click();
    const field = page.getByTestId('setting-maxConcurrentPushes');
    assert.equal(await field.inputValue(), '20');
    await field.fill('35');
    // ERA's warning about raising the number of concurrent pushes.
    await page.getByTestId('concurrency-warning').getByText(/can saturate the network links/).waitFor();
    // The detected addresses offer themselves as the agents' callback address.
    await page.getByTestId('detected-addresses').getByText(/^127\.0\.0\.1 \(lo\)$/).click();
    assert.equal(await page.getByTestId('setting-callbackAddress').inputValue(), '127.0.0.1');
    await page.getByTestId('setting-callbackAddress').fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('settings-saved').waitFor();
    const onDisk = JSON.parse(fs.readFileSync(path.join(dataDir, 'config.json'), 'utf8')) as { maxConcurrentPushes: number };
    assert.equal(onDisk.maxConcurrentPushes, 35);

    await page.reload();
    await tab('Configuration').click();
    assert.equal(await page.getByTestId('setting-maxConcurrentPushes').inputValue(), '35');

    // Authentication: Kerberos only, the domain controllers and a domain → realm pair, kept across a reload.
    await page.getByRole('combobox', { name: 'Log on to computers with' }).click();
    await page.getByRole('option', { name: /^Kerberos only/ }).click();
    await page.getByTestId('setting-kdcAddresses').fill('dc1.corp.example.com, 10.0.0.5:88');
    await page.getByTestId('setting-kerberosRealms').fill('CORP=CORP.EXAMPLE.COM');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('settings-saved').waitFor();
    const auth = JSON.parse(fs.readFileSync(path.join(dataDir, 'config.json'), 'utf8')) as { authentication: string; kdcAddresses: string; kerberosRealms: string };
    assert.deepEqual([auth.authentication, auth.kdcAddresses, auth.kerberosRealms], ['kerberos-only', 'dc1.corp.example.com, 10.0.0.5:88', 'CORP=CORP.EXAMPLE.COM']);
    await page.reload();
    await tab('Configuration').click();
    assert.match(await page.getByRole('combobox', { name: 'Log on to computers with' }).innerText(), /^Kerberos only/);
    assert.equal(await page.getByTestId('setting-kdcAddresses').inputValue(), 'dc1.corp.example.com, 10.0.0.5:88');

    await page.getByTestId('setting-maxConcurrentPushes').fill('0');
    await page.getByRole('button', { name: 'Save' }).click();
    const notice = page.getByTestId('error-notice');
    await notice.waitFor();
    assert.equal(await notice.getAttribute('data-error-class'), 'invalid-request');
    assert.match(await notice.innerText(), /maxConcurrentPushes/);
    await page.screenshot({ path: path.join(shots, 'configuration.png') });
    assert.equal((JSON.parse(fs.readFileSync(path.join(dataDir, 'config.json'), 'utf8')) as { maxConcurrentPushes: number }).maxConcurrentPushes, 35);
  });

  test('the per-launch token is printed once, in the URL to open, and appears in no other output line, no data file and no visible page text', async () => {
    const token = new URL(shell.url).searchParams.get('token')!;
    assert.match(token, /^[A-Za-z0-9_-]{43,}$/, 'a 256-bit token');
    // Refused requests (a wrong token, no token, a foreign Origin) are where a careless log would echo it.
    const port = new URL(shell.url).port;
    for (const [pathname, headers] of [[`/?token=${token.slice(0, -2)}xx`, {}], ['/api', {}], ['/', { Origin: 'http://evil.example' }]] as const) {
      await fetch(`http://127.0.0.1:${port}${pathname}`, { headers, redirect: 'manual' }).then((r) => r.arrayBuffer()).catch(() => undefined);
    }
    const lines = shell.output().split('\n').filter((line) => line.includes(token));
    assert.equal(lines.length, 2, `only the URL lines carry it:\n${lines.join('\n')}`);
    assert.ok(lines.every((line) => line.includes(`${shell.url}`)), lines.join('\n'));
    const hits: string[] = [];
    for (const entry of fs.readdirSync(dataDir, { withFileTypes: true, recursive: true })) {
      if (entry.isFile() && fs.readFileSync(path.join(entry.parentPath, entry.name)).includes(token)) hits.push(entry.name);
    }
    assert.deepEqual(hits, [], 'no file in the data folder holds the token');
    // The page holds it (a meta tag its WebSocket messages read; the cookie is HttpOnly) but never shows it.
    assert.ok(!(await page.locator('body').innerText()).includes(token), 'the page does not show it');
  });

  test('no script error reached the page while the tabs were used', () => {
    assert.deepEqual(pageErrors, []);
  });
});
