// Uninstall from the browser against the simulated lab (5 hosts, the mixed lab's first five:
// slow-link, healthy ×3, reboot-required): the wizard's Type step reaches Uninstall by keyboard, the
// Package step asks for the "Package to remove", the summary says Remove; History lists the task as
// Uninstall with each host's outcome (removed; the reboot-required host succeeds with a restart), then
// Redeploy runs the same uninstall again and every host answers msiexec 1605, which History shows as
// succeeded, "nothing to remove". Properties of the task names the action and msiexec's switch.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_PACKAGE_NAME, LAB_GROUP } from '../../main/app/labDemo.js';
import { assignProfiles, expectedOutcome } from '../../main/lab/profiles.js';
import { repoRoot, setForAllStored, useConsoleShell } from '../support/browserShell.js';

const shots = path.join(process.env.PUSHCONSOLE_TEST_OUTPUT ?? path.join(repoRoot, 'test-output'), 'e2e');
const HOSTS = 5;
const names = Array.from({ length: HOSTS }, (_, i) => `LAB-PC-${String(i + 1).padStart(3, '0')}`);
const profiles = assignProfiles(names, 'mixed');

describe('an Uninstall task on the simulated lab from the browser', () => {
  const fx = useConsoleShell({
    prefix: 'pic-e2e-actions-',
    startTimeoutMs: 30_000,
    setup: () => void fs.mkdirSync(shots, { recursive: true }),
    env: {
      PUSHCONSOLE_LAB: '1',
      PUSHCONSOLE_LAB_HOSTS: String(HOSTS),
      PUSHCONSOLE_LAB_FIRST: '127.0.63.1',
      PUSHCONSOLE_LAB_PORT: '14475',
    },
  });

  const tab = (name: string) => fx.page.getByRole('tab', { name, exact: true });

  test('the wizard: Uninstall chosen with the keyboard, "Package to remove", the summary says Remove', async () => {
    assert.ok(profiles.every((p) => expectedOutcome(p, 'uninstall').outcome.startsWith('succeeded')), `the lab's first hosts all remove: ${profiles.join(', ')}`);
    await tab('Computers').click();
    await fx.page.getByRole('button', { name: `${LAB_GROUP} (${HOSTS})` }).click();
    await fx.page.getByTestId('computers-grid').getByRole('row').filter({ hasText: 'LAB-PC-001' }).click();
    await fx.page.keyboard.press('Control+a');
    await fx.page.keyboard.press('Control+n');
    const wizard = fx.page.getByRole('dialog', { name: 'New Installation Task' });
    const install = wizard.getByRole('radio', { name: 'Install', exact: true });
    const uninstall = wizard.getByRole('radio', { name: /^Uninstall/ });
    assert.equal(await install.isChecked(), true);
    await install.focus();
    await fx.page.keyboard.press('ArrowDown');
    assert.equal(await uninstall.isChecked(), true, 'Uninstall is reachable and chosen with the keyboard');
    assert.equal(await wizard.getByRole('radio', { name: /^Repair/ }).isEnabled(), true);
    await wizard.getByRole('button', { name: 'Continue' }).click();

    await setForAllStored(fx.page, wizard, 'LAB\\labadmin', HOSTS);
    await wizard.getByRole('button', { name: 'Continue' }).click();

    assert.equal(await wizard.getByTestId('wizard-package-title').innerText(), 'Package to remove');
    await wizard.getByRole('button', { name: 'Continue' }).click();
    if (await wizard.getByTestId('wizard-problem').isVisible()) {
      // More than one package: the step asks which one, in the action's words.
      assert.match(await wizard.getByTestId('wizard-problem').innerText(), /Choose the package to remove/);
      await wizard.getByTestId('wizard-packages').getByRole('row').filter({ hasText: DEMO_PACKAGE_NAME }).click();
      await wizard.getByRole('button', { name: 'Continue' }).click();
    }
    await wizard.getByTestId('wizard-step-schedule').waitFor();
    assert.equal(await wizard.getByTestId('wizard-summary-action').innerText(), 'Remove');
    assert.equal(await wizard.getByTestId('task-name').getAttribute('placeholder'), `Uninstall ${DEMO_PACKAGE_NAME} from ${HOSTS} computers`);
    await wizard.getByTestId('task-name').fill('Lab uninstall');
    await fx.page.waitForTimeout(300);
    await fx.page.screenshot({ path: path.join(shots, 'lab-uninstall-wizard.png') });
    await wizard.getByRole('button', { name: 'Finish' }).click();
    await wizard.waitFor({ state: 'detached' });
  });

  test('History: the task is an Uninstall, each host removed; Redeploy uninstalls again and every host says nothing to remove (MSI 1605)', async () => {
    const tasks = fx.page.getByTestId('tasks-grid');
    const grid = fx.page.getByTestId('targets-grid');
    // A row is reloaded a moment after its "done" event (the outcome first, then its code and advice): read it once it has its code.
    const rowText = async (name: string, code: RegExp) => {
      const row = grid.getByRole('row').filter({ hasText: name });
      await row.getByText(code).first().waitFor({ timeout: 10_000 });
      return row.innerText();
    };
    const first = tasks.getByRole('row').filter({ hasText: 'Lab uninstall' }).first();
    await first.getByText('Uninstall', { exact: true }).waitFor();
    await first.getByText('finished', { exact: true }).waitFor({ timeout: 30_000 });
    await first.getByText(new RegExp(`${HOSTS} succeeded · 0 failed / ${HOSTS}`)).waitFor();
    for (const [i, name] of names.entries()) {
      const reboot = profiles[i] === 'reboot-required';
      assert.match(await rowText(name, reboot ? /MSI 3010/ : /Removed\./), reboot ? /succeeded \(reboot\)[\s\S]*MSI 3010/ : /succeeded[\s\S]*Removed\./, name);
    }

    await fx.page.getByRole('button', { name: 'Redeploy' }).click();
    const again = tasks.getByRole('row').filter({ hasText: 'Redeploy of Lab uninstall' });
    await again.getByText('Uninstall', { exact: true }).waitFor();
    await again.getByText('finished', { exact: true }).waitFor({ timeout: 30_000 });
    await again.getByText(new RegExp(`${HOSTS} succeeded · 0 failed / ${HOSTS}`)).waitFor();
    for (const name of names) {
      assert.match(await rowText(name, /MSI 1605/), /succeeded[\s\S]*The product was not installed: nothing to remove\.[\s\S]*MSI 1605/, name);
    }
    await fx.page.waitForTimeout(300);
    await fx.page.screenshot({ path: path.join(shots, 'lab-uninstall-history.png') });

    await again.click();
    await fx.page.keyboard.press('F4');
    const props = fx.page.getByRole('dialog', { name: 'Task: Redeploy of Lab uninstall' });
    await props.getByRole('tab', { name: 'General' }).click();
    await props.getByRole('row').filter({ hasText: 'Action' }).getByText('Uninstall (msiexec /x)').waitFor();
    await props.getByRole('button', { name: 'Close' }).click();
  });

  test('no script error reached the page', () => {
    assert.deepEqual(fx.pageErrors, []);
  });
});
