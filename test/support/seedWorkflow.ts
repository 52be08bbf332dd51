// The seed workflow's page steps, shared by the tests that push through the console's window
// (test/e2e/labPush.test.ts against the lab the shell starts, test/windows/browserShellOnWindows
// against lab hosts on Linux with the shell on Windows Node): Configuration saved, a group's
// computers selected and the New Installation Task wizard opened on them, Set for All, Test,
// the package, Finish; Installation History's task row; F4 on a computer and its logs.
// Only navigation and the waits each step needs live here; what a test asserts stays in the test.
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';

/** Configuration: fills each setting's field (`setting-<key>`), saves, waits for "saved". */
export async function saveSettings(page: Page, values: Readonly<Record<string, string>>): Promise<void> {
  await page.getByRole('tab', { name: 'Configuration', exact: true }).click();
  for (const [key, value] of Object.entries(values)) await page.getByTestId(`setting-${key}`).fill(value);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('settings-saved').waitFor();
}

/**
 * Computers: the group's button (`<group> (<count>)`), a click on `firstComputer`'s row, Ctrl+A
 * (all `count` selected), Ctrl+N; returns the wizard, on its first step.
 */
export async function newTaskOnGroup(page: Page, o: { group: string; count: number; firstComputer: string }): Promise<Locator> {
  await page.getByRole('tab', { name: 'Computers', exact: true }).click();
  await page.getByRole('button', { name: `${o.group} (${o.count})` }).click();
  const grid = page.getByTestId('computers-grid');
  await grid.getByRole('row').filter({ hasText: o.firstComputer }).click();
  await page.keyboard.press('Control+a');
  assert.match(await page.getByTestId('computers-count').innerText(), new RegExp(`${o.count} selected`));
  await page.keyboard.press('Control+n');
  return page.getByRole('dialog', { name: 'New Installation Task' });
}

/** In the wizard's Logon step: Set for All… with new credentials, then waits for "all have credentials". */
export async function setForAllNew(page: Page, wizard: Locator, o: { user: string; password: string; computers: number }): Promise<void> {
  await wizard.getByRole('button', { name: 'Set for All…' }).click();
  const setAll = page.getByRole('dialog', { name: 'Set for All' });
  await setAll.getByTestId('cred-user').fill(o.user);
  await setAll.getByTestId('cred-password').fill(o.password);
  await setAll.getByRole('button', { name: 'OK' }).click();
  await setAll.waitFor({ state: 'detached' });
  await wizard.getByTestId('logon-summary').getByText(new RegExp(`${o.computers} computer\\(s\\); all have credentials`)).waitFor();
}

/** The Logon step's Test: waits for it to end, then for `readyComputer`'s row to say "ready to push"; returns the logon grid. */
export async function testLogons(wizard: Locator, readyComputer: string, timeoutMs = 30_000): Promise<Locator> {
  await wizard.getByRole('button', { name: 'Test' }).click();
  await wizard.getByRole('button', { name: 'Test' }).waitFor({ timeout: timeoutMs });
  const logon = wizard.getByTestId('logon-grid');
  await logon.getByRole('row').filter({ hasText: readyComputer }).getByText('ready to push').waitFor({ timeout: timeoutMs });
  return logon;
}

/** From the Logon step: Continue, the package's row, Continue, the task's name — the wizard is left on Finish. */
export async function choosePackage(wizard: Locator, o: { packageName: string; taskName: string }): Promise<void> {
  await wizard.getByRole('button', { name: 'Continue' }).click();
  await wizard.getByTestId('wizard-packages').getByRole('row').filter({ hasText: o.packageName }).click();
  await wizard.getByRole('button', { name: 'Continue' }).click();
  await wizard.getByTestId('task-name').fill(o.taskName);
}

/** Finish, and the wizard closes (the task is created; the window goes to Installation History). */
export async function finishWizard(wizard: Locator): Promise<void> {
  await wizard.getByRole('button', { name: 'Finish' }).click();
  await wizard.waitFor({ state: 'detached' });
}

/** The task's row in Installation History. */
export function taskRow(page: Page, taskName: string): Locator {
  return page.getByTestId('tasks-grid').getByRole('row').filter({ hasText: taskName });
}

/** F4 on `computer`'s row of the targets grid: its Properties, once the step table shows a success. */
export async function targetProperties(page: Page, o: { computer: string; taskName: string }): Promise<Locator> {
  await page.getByTestId('targets-grid').getByRole('row').filter({ hasText: o.computer }).click();
  await page.keyboard.press('F4');
  const props = page.getByRole('dialog', { name: `Computer ${o.computer} in task: ${o.taskName}` });
  await props.waitFor();
  await props.getByTestId('step-table').getByText(/succeeded/).first().waitFor();
  return props;
}

/** View All Logs or View Selected Logs in a Properties dialog; returns the log viewer's text pane. */
export async function viewLogs(page: Page, props: Locator, button: 'View All Logs' | 'View Selected Logs', computers: number): Promise<Locator> {
  await props.getByRole('button', { name: button }).click();
  const viewer = page.getByRole('dialog', { name: new RegExp(`^Logs of ${computers} computer\\(s\\)`) });
  return viewer.getByTestId('log-view');
}
