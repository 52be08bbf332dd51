// The reboot policy from the browser against the simulated lab (5 hosts, the mixed lab's first
// five: slow-link, healthy ×3, reboot-required): the wizard's Schedule step sets "Restart after a
// notice" and its summary says so; History's Restart column shows the reboot-required host's
// restart scheduled, then back online (the lab host really goes down and comes back), the others
// "—"; with nothing left to restart, Restart Computers… and Cancel Restart are disabled.
// Addresses 127.0.203.x, SMB port 14710.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_PACKAGE_NAME, LAB_GROUP } from '../../main/app/labDemo.js';
import { assignProfiles } from '../../main/lab/profiles.js';
import { repoRoot, setForAllStored, useConsoleShell } from '../support/browserShell.js';

const shots = path.join(process.env.PUSHCONSOLE_TEST_OUTPUT ?? path.join(repoRoot, 'test-output'), 'e2e');
const HOSTS = 5;
const names = Array.from({ length: HOSTS }, (_, i) => `LAB-PC-${String(i + 1).padStart(3, '0')}`);
const profiles = assignProfiles(names, 'mixed');
const rebooting = names[profiles.indexOf('reboot-required')]!;

describe('a restart after install, from the browser, followed until the lab host is back', () => {
  const fx = useConsoleShell({
    prefix: 'pic-e2e-restart-',
    startTimeoutMs: 30_000,
    setup: () => void fs.mkdirSync(shots, { recursive: true }),
    env: {
      PUSHCONSOLE_LAB: '1',
      PUSHCONSOLE_LAB_HOSTS: String(HOSTS),
      PUSHCONSOLE_LAB_FIRST: '127.0.203.1',
      PUSHCONSOLE_LAB_PORT: '14710',
    },
  });
  const tab = (name: string) => fx.page.getByRole('tab', { name, exact: true });

  test('the wizard: "Restart after a notice of N minutes" with 0 minutes, and the summary says it', async () => {
    assert.ok(profiles.includes('reboot-required'), `the lab's first hosts include a reboot-required one: ${profiles.join(', ')}`);
    await tab('Computers').click();
    await fx.page.getByRole('button', { name: `${LAB_GROUP} (${HOSTS})` }).click();
    await fx.page.getByTestId('computers-grid').getByRole('row').filter({ hasText: 'LAB-PC-001' }).click();
    await fx.page.keyboard.press('Control+a');
    await fx.page.keyboard.press('Control+n');
    const wizard = fx.page.getByRole('dialog', { name: 'New Installation Task' });
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await setForAllStored(fx.page, wizard, 'LAB\\labadmin', HOSTS);
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('wizard-packages').getByRole('row').filter({ hasText: DEMO_PACKAGE_NAME }).click();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('wizard-step-schedule').waitFor();

    await wizard.getByLabel('After installing, when the package needs a restart').click();
    await fx.page.getByRole('option', { name: 'Restart after a notice of N minutes' }).click();
    await wizard.getByTestId('reboot-grace').fill('0');
    await wizard.getByTestId('reboot-message').fill('Restarting to finish the demo agent: save your work.');
    assert.match(await wizard.getByTestId('wizard-summary-action').locator('..').innerText(), /restart after 15 s notice if needed/);
    await wizard.getByTestId('task-name').fill('Lab restart');
    await fx.page.waitForTimeout(300);
    await fx.page.screenshot({ path: path.join(shots, 'lab-restart-wizard.png') });
    await wizard.getByRole('button', { name: 'Finish' }).click();
    await wizard.waitFor({ state: 'detached' });
  });

  test('History: the reboot-required host\'s restart is scheduled, then it is back online; the others need none; nothing is left to restart or cancel', async () => {
    const tasks = fx.page.getByTestId('tasks-grid');
    const grid = fx.page.getByTestId('targets-grid');
    const row = tasks.getByRole('row').filter({ hasText: 'Lab restart' });
    await row.getByText('finished', { exact: true }).waitFor({ timeout: 60_000 });
    const target = grid.getByRole('row').filter({ hasText: rebooting });
    // Scheduled (the agent reported it), then back online once the lab host went down and answered again.
    await target.getByText(/scheduled \d\d:\d\d|restarting|back online/).waitFor({ timeout: 30_000 });
    await target.getByText('back online').waitFor({ timeout: 90_000 });
    assert.match(await target.innerText(), /succeeded \(reboot\)/);
    assert.match((await target.getByText('back online').getAttribute('title')) ?? '', /back online after \d+ min \(down at/);
    for (const [i, name] of names.entries()) {
      if (profiles[i] === 'reboot-required') continue;
      assert.doesNotMatch(await grid.getByRole('row').filter({ hasText: name }).innerText(), /scheduled|back online|restarting/, `${name} needed no restart`);
    }
    await fx.page.waitForTimeout(300);
    await fx.page.screenshot({ path: path.join(shots, 'lab-restart-history.png') });
    assert.equal(await fx.page.getByRole('button', { name: 'Restart Computers…' }).isDisabled(), true, 'nothing left to restart');
    await target.click();
    assert.equal(await fx.page.getByRole('button', { name: 'Cancel Restart' }).isDisabled(), true, 'nothing pending to cancel');
  });

  test('no script error reached the page', () => {
    assert.deepEqual(fx.pageErrors, []);
  });
});
