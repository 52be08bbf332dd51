// End to end against the simulated lab (real-protocol hosts, started by the browser
// shell): Configuration shortens the callback bound, Computers shows the "Simulated lab" group,
// Ctrl+A and Ctrl+N open the wizard on it, Set for All uses the lab's administrator credential,
// Test tells ready hosts from refused ones, the demo package is pushed, and Installation
// History ends with exactly the outcome each host's profile dictates — successes included —
// while the page's frame times are measured. F4 → Details → View Selected Logs shows a
// succeeded host's step log and the MSI log its agent sent.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_PACKAGE_NAME, LAB_GROUP } from '../../main/app/labDemo.js';
import { assignProfiles, EXPECTED_OUTCOME } from '../../main/lab/profiles.js';
import { repoRoot, setForAllStored, useConsoleShell } from '../support/browserShell.js';

const shots = path.join(process.env.PUSHCONSOLE_TEST_OUTPUT ?? path.join(repoRoot, 'test-output'), 'e2e');
const HOSTS = 20;
const names = Array.from({ length: HOSTS }, (_, i) => `LAB-PC-${String(i + 1).padStart(3, '0')}`);
const profiles = assignProfiles(names, 'mixed');
const expected = new Map(names.map((n, i) => [n, EXPECTED_OUTCOME[profiles[i]!]]));

/** Records each animation frame's duration in window.__frames until window.__stop (a string: tsx's helpers do not exist in the page). */
const FRAME_RECORDER = `(() => {
  window.__frames = [];
  window.__stop = false;
  let last = performance.now();
  const loop = (t) => { window.__frames.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
})()`;

describe('a push to the simulated lab from the browser', () => {
  const fx = useConsoleShell({
    prefix: 'pic-e2e-lab-',
    startTimeoutMs: 30_000,
    setup: () => void fs.mkdirSync(shots, { recursive: true }),
    env: {
      PUSHCONSOLE_LAB: '1',
      PUSHCONSOLE_LAB_HOSTS: String(HOSTS),
      PUSHCONSOLE_LAB_FIRST: '127.0.34.1',
      PUSHCONSOLE_LAB_PORT: '14472',
    },
  });

  const tab = (name: string) => fx.page.getByRole('tab', { name, exact: true });
  // MUI's dialogs fade for 225 ms: wait them out so the picture shows what the admin sees.
  const shot = async (name: string) => {
    await fx.page.waitForTimeout(300);
    await fx.page.screenshot({ path: path.join(shots, `${name}.png`) });
  };

  test('Configuration: the agent callback bound is shortened to 10 s (the lab\'s no-callback hosts wait that long)', async () => {
    await tab('Configuration').click();
    await fx.page.getByTestId('setting-agentCallbackTimeoutSeconds').fill('10');
    await fx.page.getByTestId('setting-connectTimeoutSeconds').fill('2');
    await fx.page.getByRole('button', { name: 'Save' }).click();
    await fx.page.getByTestId('settings-saved').waitFor();
  });

  test('wizard on the lab group: Ctrl+A, Ctrl+N, Set for All with the lab credential, Test, demo package, Finish', async () => {
    await tab('Computers').click();
    await fx.page.getByRole('button', { name: `${LAB_GROUP} (${HOSTS})` }).click();
    const grid = fx.page.getByTestId('computers-grid');
    await grid.getByRole('row').filter({ hasText: 'LAB-PC-001' }).click();
    await fx.page.keyboard.press('Control+a');
    assert.match(await fx.page.getByTestId('computers-count').innerText(), new RegExp(`${HOSTS} selected`));
    await fx.page.keyboard.press('Control+n');
    const wizard = fx.page.getByRole('dialog', { name: 'New Installation Task' });
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await setForAllStored(fx.page, wizard, 'LAB\\labadmin', HOSTS);

    await wizard.getByRole('button', { name: 'Test' }).click();
    await wizard.getByRole('button', { name: 'Test' }).waitFor({ timeout: 30_000 });
    const logon = wizard.getByTestId('logon-grid');
    const healthy = names.find((_, i) => profiles[i] === 'healthy')!;
    await logon.getByRole('row').filter({ hasText: healthy }).getByText('ready to push').waitFor();
    const wrongCredentials = names.find((_, i) => profiles[i] === 'wrong-credentials');
    if (wrongCredentials) await logon.getByRole('row').filter({ hasText: wrongCredentials }).getByText('logon-failure').waitFor();
    await shot('lab-wizard-tested');
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('wizard-packages').getByRole('row').filter({ hasText: DEMO_PACKAGE_NAME }).click();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('task-name').fill('Lab push');
    // Frame times from here to the end of the push: the grid must stay smooth while it updates.
    await fx.page.evaluate(FRAME_RECORDER);
    await wizard.getByRole('button', { name: 'Finish' }).click();
    await wizard.waitFor({ state: 'detached' });
  });

  test('Installation History ends with each host\'s profile outcome and error class, successes included', async () => {
    const taskRow = fx.page.getByTestId('tasks-grid').getByRole('row').filter({ hasText: 'Lab push' });
    await taskRow.getByText('running', { exact: true }).waitFor();
    await shot('lab-history-running');
    await taskRow.getByText('finished', { exact: true }).waitFor({ timeout: 90_000 });
    const frames = (await fx.page.evaluate('window.__stop = true, window.__frames')) as number[];
    const sorted = [...frames].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? 0;
    console.log(`lab push of ${HOSTS} hosts: ${frames.length} frames, p95 frame time ${p95.toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms`);

    const grid = fx.page.getByTestId('targets-grid');
    const succeeded = [...expected.values()].filter((e) => e.outcome.startsWith('succeeded')).length;
    await taskRow.getByText(new RegExp(`${succeeded} succeeded · ${HOSTS - succeeded} failed / ${HOSTS}`)).waitFor();
    const mismatches: string[] = [];
    for (const name of names) {
      const want = expected.get(name)!;
      const text = await grid.getByRole('row').filter({ hasText: name }).innerText();
      const outcome = want.outcome === 'succeeded-reboot-required' ? 'succeeded (reboot)' : want.outcome;
      if (!text.includes(outcome) || (want.errorClass && !text.includes(want.errorClass))) mismatches.push(`${name}: expected ${outcome}/${want.errorClass}, row says ${text.replace(/\s+/g, ' ')}`);
    }
    assert.deepEqual(mismatches, []);
    await shot('lab-history-finished');

    // The filter: Ctrl+F goes to it; a class narrows the grid to its hosts; "Failed" keeps the failed.
    const rowsShown = async () => grid.locator('tbody tr[data-row-id]').count();
    const byClass = (cls: string) => names.filter((n) => expected.get(n)!.errorClass === cls).length;
    const cls = [...new Set([...expected.values()].map((e) => e.errorClass).filter((c): c is NonNullable<typeof c> => c !== null))].sort((x, y) => byClass(y) - byClass(x))[0]!;
    await fx.page.keyboard.press('Control+f');
    await fx.page.keyboard.type(cls);
    assert.equal(await fx.page.getByTestId('targets-filter').inputValue(), cls, 'Ctrl+F focused the filter: the keys went there');
    await fx.page.getByTestId('targets-heading').getByText(`${byClass(cls)} of ${HOSTS} computer(s) shown`).waitFor();
    assert.equal(await rowsShown(), byClass(cls), `rows of class ${cls}`);
    await fx.page.getByTestId('targets-filter').fill('');
    await fx.page.getByRole('combobox', { name: 'Show' }).click();
    await fx.page.getByRole('option', { name: 'Failed or cancelled' }).click();
    await fx.page.getByTestId('targets-heading').getByText(`${HOSTS - succeeded} of ${HOSTS} computer(s) shown`).waitFor();
    assert.equal(await rowsShown(), HOSTS - succeeded);
    await shot('lab-history-filtered');
    await fx.page.getByRole('combobox', { name: 'Show' }).click();
    await fx.page.getByRole('option', { name: 'All computers' }).click();
    await fx.page.getByTestId('targets-heading').getByText(`${HOSTS} computer(s)`).waitFor();

    const ok = names.find((_, i) => profiles[i] === 'healthy')!;
    await grid.getByRole('row').filter({ hasText: ok }).click();
    await fx.page.keyboard.press('F4');
    const props = fx.page.getByRole('dialog', { name: `Computer ${ok} in task: Lab push` });
    await props.waitFor();
    await props.getByTestId('step-table').getByText(/succeeded/).first().waitFor();
    await shot('lab-properties');
    await props.getByRole('button', { name: 'View Selected Logs' }).click();
    const viewer = fx.page.getByRole('dialog', { name: /^Logs of 1 computer\(s\)/ });
    const log = viewer.getByTestId('log-view');
    await log.getByText(new RegExp(`${ok} — MSI log`)).waitFor();
    const text = await log.innerText();
    assert.match(text, /MSI \(s\)/, 'the MSI verbose log the agent sent');
    assert.doesNotMatch(text, /no MSI log/);
    await shot('lab-log-viewer');
  });

  test('no script error reached the page', () => {
    assert.deepEqual(fx.pageErrors, []);
  });
});
