// End to end in Chromium: credentials that a restart forgot. A task to 9 lab computers runs with a
// credential that was not remembered (the Set Credentials dialog's default) and two pushes at a
// time; the console is killed with SIGKILL while pushes run, and a new console starts on the same
// data folder. Installation History then shows the in-flight computers interrupted and the queued
// ones waiting for credentials, with a banner that counts them; the Leftovers window lists what the
// interrupted pushes left, with their credentials missing — Remove asks for credentials, Set
// Credentials… cleans them and the window empties. Set Credentials… in the banner with the lab's
// account resumes every waiting computer to success, and Retry Failed pushes the interrupted ones
// again with the credential they were given. After one more restart (the credential is gone
// again) Retry Failed asks for credentials itself and then starts.
//
// The simulated lab runs inside the console, so it restarts fresh with the new console: what the
// interrupted pushes left may simply be found absent when it is cleaned. That is enough for the
// windows; test/interop/crashLeftovers.test.ts checks real leftovers against a lab that survives.
// Last, Set for All offers Use LAPS and saves a LAPS credential (its directory 127.0.194.1:14650,
// where nothing listens: Test says directory-unreachable per computer).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PACKAGE_NAME, LAB_GROUP } from '../../main/app/labDemo.js';
import { LAB_ADMIN } from '../../main/lab/lab.js';
import { assignProfiles, EXPECTED_OUTCOME } from '../../main/lab/profiles.js';
import { launchChromium, openConsolePage, repoRoot, startBrowserShell, tempDir, type RunningShell } from '../support/browserShell.js';

const shots = path.join(process.env.PUSHCONSOLE_TEST_OUTPUT ?? path.join(repoRoot, 'test-output'), 'e2e');
const HOSTS = 12;
const all = Array.from({ length: HOSTS }, (_, i) => `LAB-PC-${String(i + 1).padStart(3, '0')}`);
const profiles = assignProfiles(all, 'mixed');
/** The lab's hosts whose install succeeds (healthy, slow link, reboot required): 9 of the 12. */
const names = all.filter((_, i) => EXPECTED_OUTCOME[profiles[i]!].outcome.startsWith('succeeded'));
const TASK = 'Rebind push';
const USER = `LAB\\${LAB_ADMIN.user}`;
const ENV = {
  PUSHCONSOLE_LAB: '1',
  PUSHCONSOLE_LAB_HOSTS: String(HOSTS),
  PUSHCONSOLE_LAB_FIRST: '127.0.61.1',
  PUSHCONSOLE_LAB_PORT: '14483',
  // Never the developer's keychain; the credential is not remembered anyway.
  PUSHCONSOLE_KEYCHAIN: 'off',
};

describe('credentials a restart forgot: waiting computers, the banner, Set Credentials…, the Leftovers window', () => {
  let dir = '';
  let shell: RunningShell | undefined;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  /** What History showed after the restart, by computer. */
  const interrupted: string[] = [];
  const waiting: string[] = [];

  const open = async () => {
    shell = await startBrowserShell(path.join(dir, 'data'), 30_000, ENV);
    page = await openConsolePage(browser, shell.url, { timeoutMs: 15_000, pageErrors });
  };
  before(async () => {
    fs.mkdirSync(shots, { recursive: true });
    dir = tempDir('pic-e2e-rebind-');
    browser = await launchChromium();
    await open();
  });
  after(async () => {
    await browser?.close();
    await shell?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const tab = (name: string) => page.getByRole('tab', { name, exact: true });
  const dialog = (name: string) => page.getByRole('dialog', { name, exact: true });
  // MUI's dialogs fade for 225 ms: wait them out so the picture shows what the admin sees.
  const shot = async (name: string) => {
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
  };
  const targetRow = (name: string) => page.getByTestId('targets-grid').getByRole('row').filter({ hasText: name });
  /** Computers → the lab group → these computers highlighted, and their context menu open. */
  const selectComputers = async (which: readonly string[]) => {
    await page.getByRole('button', { name: `${LAB_GROUP} (${HOSTS})` }).click();
    const grid = page.getByTestId('computers-grid');
    await grid.getByRole('row').filter({ hasText: which[0]! }).click();
    for (const name of which.slice(1)) await grid.getByRole('row').filter({ hasText: name }).click({ modifiers: ['Control'] });
    await grid.getByRole('row').filter({ hasText: which[0]! }).click({ button: 'right' });
  };
  const taskRow = () => page.getByTestId('tasks-grid').getByRole('row').filter({ hasText: TASK }).filter({ hasNotText: 'Retry of' });

  test('a task to 9 lab computers, two at a time, with credentials that are not remembered', async () => {
    assert.equal(names.length, 9, `the mixed lab of 12 has 9 hosts that install: ${profiles.join(', ')}`);
    await tab('Configuration').click();
    await page.getByTestId('setting-maxConcurrentPushes').fill('2');
    await page.getByTestId('setting-connectTimeoutSeconds').fill('2');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('settings-saved').waitFor();

    await tab('Computers').click();
    await page.getByRole('button', { name: `${LAB_GROUP} (${HOSTS})` }).click();
    const grid = page.getByTestId('computers-grid');
    await grid.getByRole('row').filter({ hasText: names[0]! }).click();
    for (const name of names.slice(1)) await grid.getByRole('row').filter({ hasText: name }).click({ modifiers: ['Control'] });
    assert.match(await page.getByTestId('computers-count').innerText(), new RegExp(`${names.length} selected`));
    await page.keyboard.press('Control+n');
    const wizard = dialog('New Installation Task');
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByRole('button', { name: 'Set for All…' }).click();
    const setAll = dialog('Set for All');
    await setAll.getByTestId('cred-user').fill(USER);
    await setAll.getByTestId('cred-password').fill(LAB_ADMIN.password);
    assert.equal(await setAll.getByTestId('cred-remember').isChecked(), false, '"Remember" is off by default');
    await setAll.getByRole('button', { name: 'OK' }).click();
    await setAll.waitFor({ state: 'detached' });
    await wizard.getByTestId('logon-summary').getByText(new RegExp(`${names.length} computer\\(s\\); all have credentials`)).waitFor();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('wizard-packages').getByRole('row').filter({ hasText: DEMO_PACKAGE_NAME }).click();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('task-name').fill(TASK);
    await wizard.getByRole('button', { name: 'Finish' }).click();
    await wizard.waitFor({ state: 'detached' });
  });

  test('SIGKILL while pushes run; a new console on the same data folder: History shows interrupted and waiting computers and the banner', async () => {
    // The lab's msiexec takes 4 s: a push that installs is in flight, the other computers queued.
    await page.getByTestId('targets-grid').getByRole('row').filter({ hasText: 'installing' }).first().waitFor({ timeout: 30_000 });
    const killed = shell!;
    const exited = new Promise((resolve) => killed.child.once('exit', resolve));
    process.kill(killed.child.pid!, 'SIGKILL');
    await exited;
    await page.context().close();
    await open();

    await tab('Installation History').click();
    await taskRow().click();
    for (const name of names) await targetRow(name).waitFor();
    // The interrupted pushes' step logs and classes arrive with the task's targets.
    for (const name of names) {
      const text = (await targetRow(name).innerText()).replace(/\s+/g, ' ');
      if (text.includes('interrupted')) interrupted.push(name);
      else if (text.includes('waiting for credentials')) {
        assert.match(text, /credentials-missing/, `${name}: ${text}`);
        waiting.push(name);
      } else assert.match(text, /succeeded/, `${name}: ${text}`);
    }
    assert.ok(interrupted.length >= 1 && interrupted.length <= 2, `one or two pushes were in flight: ${interrupted.join(', ')}`);
    assert.ok(waiting.length >= names.length - 3, `the queued computers wait for credentials: ${waiting.join(', ')}`);

    const banner = page.getByTestId('waiting-banner');
    await banner.getByText(new RegExp(`^${waiting.length} computer\\(s\\) wait for credentials`)).waitFor();
    await taskRow().getByText(new RegExp(`· ${waiting.length} waiting / ${names.length}`)).waitFor();
    await page.getByTestId('outcome-chart').getByText(`${waiting.length} waiting for credentials`).waitFor();
    // The interrupted pushes left something, and their credentials are gone: the row says so.
    await page.getByTestId('leftovers-banner').getByText(/the task is kept until that is removed/).waitFor();
    await targetRow(interrupted[0]!).getByTestId('no-credentials').waitFor();
    await shot('rebind-waiting-banner');
  });

  test('Computers: Remove Leftovers on the interrupted computers says they could not be tried without credentials, and offers Set Credentials…', async () => {
    await tab('Computers').click();
    await selectComputers(interrupted);
    await page.getByRole('menuitem', { name: 'Remove Leftovers' }).click();
    const notice = page.getByTestId('computers-notice');
    await notice.getByText(/0 of (\d+) push\(es\) cleaned, \1 remaining\. \1 of them could not be tried: their credentials are not held any more/).waitFor();
    await notice.getByRole('button', { name: 'Set Credentials…' }).waitFor();
    await notice.getByRole('button', { name: 'Close', exact: true }).click();
    await tab('Installation History').click();
  });

  test('the Leftovers window lists what the interrupted pushes left; Remove asks for credentials; Set Credentials… cleans them and it empties', async () => {
    await page.getByTestId('leftovers-banner').getByRole('button', { name: 'Leftovers…' }).click();
    const leftovers = dialog('Leftovers');
    const rows = leftovers.getByTestId('leftovers-grid').locator('tbody tr[data-row-id]');
    await rows.first().waitFor();
    const listed = await rows.allInnerTexts();
    assert.ok(listed.length >= 1 && listed.length <= interrupted.length, `leftovers of the interrupted pushes: ${listed.join(' | ')}`);
    for (const text of listed) {
      assert.ok(interrupted.some((n) => text.includes(n)), `an interrupted computer: ${text}`);
      assert.match(text, new RegExp(TASK));
      assert.match(text, /missing/, 'its credentials are not held');
      assert.match(text, /PushInstall/, `what is left is named: ${text}`);
    }
    await shot('rebind-leftovers');

    // Remove: the credentials are missing, so the window asks for them; Cancel leaves things as they are.
    await rows.first().click();
    await page.keyboard.press('Control+a');
    await leftovers.getByRole('button', { name: 'Remove', exact: true }).click();
    const ask = dialog('Set Credentials');
    await ask.waitFor();
    // (The Leftovers window is aria-hidden under the Set Credentials dialog: its notice is found on the page.)
    await page.getByTestId('leftovers-notice').getByText(new RegExp(`${listed.length} could not be tried: their credentials are not held any more`)).waitFor();
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'detached' });
    assert.equal(await rows.count(), listed.length);

    // Set Credentials… with the new console's lab account (a stored credential): cleaned at once.
    await leftovers.getByRole('button', { name: 'Set Credentials…' }).click();
    await ask.getByLabel('Use stored credentials').click();
    await page.getByRole('option', { name: USER }).click();
    await ask.getByRole('button', { name: 'OK' }).click();
    await leftovers.getByTestId('empty-state').getByText('Nothing is left on any computer.').waitFor({ timeout: 30_000 });
    await leftovers.getByTestId('leftovers-notice').getByText(new RegExp(`Credentials set for ${listed.length} computer\\(s\\): 0 resumed, ${listed.length} being cleaned\\. Nothing is left on them now`)).waitFor();
    await shot('rebind-leftovers-cleaned');
    await leftovers.getByRole('button', { name: 'Close', exact: true }).click();
    await leftovers.waitFor({ state: 'detached' });
    await page.getByTestId('leftovers-banner').waitFor({ state: 'detached' });
  });

  test('Set Credentials… in the banner with the lab account: every waiting computer resumes and succeeds', async () => {
    await page.getByTestId('waiting-banner').getByRole('button', { name: 'Set Credentials…' }).click();
    const ask = dialog('Set Credentials');
    await ask.getByTestId('cred-user').fill(USER);
    await ask.getByTestId('cred-password').fill(LAB_ADMIN.password);
    await ask.getByRole('button', { name: 'OK' }).click();
    await ask.waitFor({ state: 'detached' });
    // The task's scope: the waiting computers resume; the interrupted ones get the credential too (for Retry Failed).
    await page.getByTestId('history-notice').getByText(`Credentials set for ${waiting.length + interrupted.length} computer(s): ${waiting.length} resumed, 0 being cleaned.`).waitFor();
    await page.getByTestId('waiting-banner').waitFor({ state: 'detached' });

    await taskRow().getByText('finished', { exact: true }).waitFor({ timeout: 120_000 });
    for (const name of waiting) {
      const text = (await targetRow(name).innerText()).replace(/\s+/g, ' ');
      assert.match(text, /succeeded/, `${name}: ${text}`);
    }
    for (const name of interrupted) assert.match(await targetRow(name).innerText(), /interrupted/);
    await shot('rebind-history-resumed');
  });

  test('Retry Failed pushes the interrupted computers again with the credential they were given', async () => {
    await page.getByTestId('task-toolbar').getByRole('button', { name: 'Retry Failed' }).click();
    const retry = page.getByTestId('tasks-grid').getByRole('row').filter({ hasText: `Retry of ${TASK}` });
    await retry.getByText('finished', { exact: true }).waitFor({ timeout: 60_000 });
    await retry.getByText(`${interrupted.length} succeeded · 0 failed / ${interrupted.length}`).waitFor();
  });

  test('after another restart the credentials are gone again: Retry Failed asks for them, then starts the retry by itself', async () => {
    await page.context().close();
    await shell!.stop();
    await open();
    await tab('Installation History').click();
    await taskRow().click();
    for (const name of interrupted) await targetRow(name).getByTestId('target-outcome').getByText('interrupted').waitFor();
    await page.getByTestId('task-toolbar').getByRole('button', { name: 'Retry Failed' }).click();
    const ask = dialog('Set Credentials');
    await ask.waitFor();
    await page.getByTestId('history-notice').getByText(/have no usable credentials .*Set the credentials to use: Retry Failed then starts\./).waitFor();
    await ask.getByLabel('Use stored credentials').click();
    await page.getByRole('option', { name: USER }).click();
    await ask.getByRole('button', { name: 'OK' }).click();
    await page
      .getByTestId('history-notice')
      .getByText(new RegExp(`^Credentials set for ${interrupted.length} computer\\(s\\): 0 resumed, 0 being cleaned\\. Retry started as task \\d+\\.$`))
      .waitFor();
    const retries = page.getByTestId('tasks-grid').getByRole('row').filter({ hasText: `Retry of ${TASK}` });
    await retries.nth(1).waitFor();
    // Newest first: the retry that was just started.
    await retries.first().getByText('finished', { exact: true }).waitFor({ timeout: 60_000 });
    await retries.first().getByText(`${interrupted.length} succeeded · 0 failed / ${interrupted.length}`).waitFor();
  });

  test('Computers: Set Credentials… leaves pushes that succeeded and pushes whose credentials are held alone, and says there was nothing to do', async () => {
    await tab('Computers').click();
    await selectComputers(names);
    await page.getByRole('menuitem', { name: 'Set Credentials…' }).click();
    const ask = dialog('Set Credentials');
    await ask.getByLabel('Use stored credentials').click();
    await page.getByRole('option', { name: USER }).click();
    await ask.getByRole('button', { name: 'OK' }).click();
    // Every push of these computers either succeeded (its history stays as it is) or was given the
    // third console's credentials by the Retry Failed above, which are still held.
    await page.getByTestId('computers-notice').getByText(/^Nothing to do: none of them waits for credentials or has something left to clean\.$/).waitFor();
  });

  test('Ctrl+Shift+L opens the Leftovers window from Computers: nothing is left on any computer', async () => {
    await tab('Computers').click();
    const button = page.getByRole('button', { name: 'Leftovers…' });
    await button.hover();
    await page.getByRole('tooltip').getByText(/Ctrl\+Shift\+L/).waitFor();
    await page.getByTestId('computers-grid').getByRole('row').nth(1).click();
    await page.keyboard.press('Control+Shift+L');
    const leftovers = dialog('Leftovers');
    await leftovers.getByTestId('empty-state').getByText('Nothing is left on any computer.').waitFor();
    await leftovers.getByRole('button', { name: 'Close', exact: true }).click();
    await leftovers.waitFor({ state: 'detached' });
  });

  test('Set for All offers Use LAPS: the directory and the reading account are saved as a LAPS credential, the grid and Test show it per computer', async () => {
    await tab('Computers').click();
    await selectComputers(names.slice(0, 2));
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+n');
    const wizard = dialog('New Installation Task');
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByRole('button', { name: 'Set for All…' }).click();
    const setAll = dialog('Set for All');
    await setAll.getByTestId('cred-mode-laps').check();
    await setAll.getByTestId('laps-explained').waitFor();
    // Nothing listens there (this test's own block): saving needs no directory; Test then says why it cannot read.
    await setAll.getByTestId('laps-url').fill('ldap://127.0.194.1:14650');
    await setAll.getByTestId('laps-base').fill('DC=corp,DC=example');
    await setAll.getByTestId('laps-bind').fill('reader@corp.example');
    await setAll.getByTestId('laps-password').fill('Laps-reader-e2e-pw');
    await setAll.getByRole('button', { name: 'OK' }).click();
    await setAll.getByTestId('cred-problem').getByText(/StartTLS/).waitFor();
    await setAll.getByTestId('laps-starttls').check();
    await shot('laps-set-for-all-dialog');
    await setAll.getByRole('button', { name: 'OK' }).click();
    await setAll.waitFor({ state: 'detached' });
    await wizard.getByTestId('logon-summary').getByText(/2 computer\(s\); all have credentials/).waitFor();
    const grid = wizard.getByTestId('logon-grid');
    for (const name of names.slice(0, 2)) {
      const row = grid.getByRole('row').filter({ hasText: name });
      await row.getByText('LAPS · 127.0.194.1').waitFor();
      await row.getByTestId('cred-laps').waitFor();
    }
    await wizard.getByRole('button', { name: 'Test', exact: true }).click();
    for (const name of names.slice(0, 2)) await grid.getByRole('row').filter({ hasText: name }).getByTestId('test-error').getByText('directory-unreachable').waitFor({ timeout: 30_000 });
    await shot('laps-set-for-all');
    await wizard.getByRole('button', { name: 'Cancel' }).click();
    await wizard.waitFor({ state: 'detached' });
    // Stored, it is offered again as LAPS, never with its password.
    await selectComputers(names.slice(0, 1));
    await page.getByRole('menuitem', { name: 'Set Credentials…' }).click();
    const ask = dialog('Set Credentials');
    await ask.getByLabel('Use stored credentials').click();
    await page.getByRole('option', { name: /LAPS · 127\.0\.194\.1/ }).waitFor();
    assert.doesNotMatch(await page.getByRole('listbox').innerText(), /Laps-reader-e2e-pw/);
    await page.keyboard.press('Escape');
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'detached' });
  });

  test('no script error reached the pages', () => {
    assert.deepEqual(pageErrors, []);
  });
});
