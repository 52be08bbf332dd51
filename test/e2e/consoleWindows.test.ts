// End to end, the console's main workflow in Debian's Chromium through the browser shell:
// create a package from a wixl-built .msi (an invalid XML shown with its line, the file chooser
// for the valid one), add computers (a range, a CSV with a bad line), select them, New
// Installation Task → Set for All (its hint CORP\admin) → Add Clients Special → Test → package → Finish, watch
// Installation History update live, F4 → Details → View Selected Logs, export the CSV.
// The computers are loopback addresses nothing listens on (127.0.77.x, TCP 445 refused), so
// every push fails fast with port-blocked: the UI must show that class and its advice.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, useConsoleShell } from '../support/browserShell.js';
import { buildMsi } from '../support/wixl.js';

const shots = path.join(process.env.PUSHCONSOLE_TEST_OUTPUT ?? path.join(repoRoot, 'test-output'), 'e2e');
const PASSWORD = 'e2e-Secret-never-shown-9';

describe('the console\'s windows in Chromium: the seed workflow', () => {
  const fx = useConsoleShell({
    prefix: 'pic-e2e-windows-',
    startTimeoutMs: 20_000,
    acceptDownloads: true,
    setup: (dir) => {
      fs.mkdirSync(shots, { recursive: true });
      const files = path.join(dir, 'files');
      fs.mkdirSync(files);
      buildMsi(files, 'endpoint-agent.msi', { name: 'Endpoint Agent', version: '11.0.2044', manufacturer: 'Example Security', productCode: '{6F1C3A52-0000-4C1D-9A3E-1234567890AB}' });
      fs.writeFileSync(path.join(files, 'broken.xml'), '<config>\n  <server port="2222">\n</config>\n');
      fs.writeFileSync(path.join(files, 'cfg.xml'), '<?xml version="1.0"?>\n<config><server port="2222"/></config>\n');
      fs.writeFileSync(path.join(files, 'hosts.csv'), 'Host Name,Owner\n127.0.77.5,ann\n127.0.77.999,bob\n127.0.77.6,carl\n');
      // The push fails at TCP 445 before the agent is copied; any readable file stands in for it.
      fs.writeFileSync(path.join(files, 'agent.exe'), 'MZ stand-in agent');
    },
    // Without the simulated lab: these pushes go to addresses where nothing listens.
    env: (dir) => ({ PUSHCONSOLE_AGENT: path.join(dir, 'files', 'agent.exe'), PUSHCONSOLE_LAB: '0' }),
  });

  const tab = (name: string) => fx.page.getByRole('tab', { name, exact: true });
  const dialog = (name: string) => fx.page.getByRole('dialog', { name, exact: true });
  // MUI's dialogs fade for 225 ms: wait them out so the picture shows what the admin sees.
  const shot = async (name: string) => {
    await fx.page.waitForTimeout(300);
    await fx.page.screenshot({ path: path.join(shots, `${name}.png`) });
  };
  const files = () => path.join(fx.dir, 'files');

  test('Packages: an invalid XML is shown with its line; the file chooser picks the valid one; the MSI\'s product is read', async () => {
    await tab('Packages').click();
    await fx.page.getByRole('button', { name: 'Create Package…' }).click();
    const create = dialog('Create Package');
    await create.getByTestId('package-msi').fill(path.join(files(), 'endpoint-agent.msi'));
    await create.getByTestId('msi-info').getByText('Example Security').waitFor();
    assert.equal(await create.getByTestId('package-name').inputValue(), 'Endpoint Agent 11.0.2044');
    await create.getByTestId('package-config').fill(path.join(files(), 'broken.xml'));
    await create.getByTestId('xml-problem').getByText(/at line 3, column \d+: Unexpected close tag/).waitFor();
    await shot('package-invalid-xml');
    await create.getByRole('button', { name: 'Create' }).click();
    await create.getByTestId('error-notice').getByText(/not well-formed XML \(line 3/).waitFor();

    // The browser shell's chooser: main lists the folder (names and sizes), the page picks.
    await create.getByTestId('package-config').fill('');
    await create.getByRole('button', { name: 'Browse…' }).nth(1).click();
    const chooser = dialog('Configuration (.xml, optional)');
    await chooser.getByTestId('chooser-folder').fill(files());
    await chooser.getByRole('button', { name: 'Go' }).click();
    await chooser.getByText('cfg.xml').click();
    assert.equal(await chooser.getByText('endpoint-agent.msi').count(), 0, 'filtered to .xml');
    await shot('file-chooser');
    await chooser.getByRole('button', { name: 'Choose' }).click();
    assert.equal(await create.getByTestId('package-config').inputValue(), path.join(files(), 'cfg.xml'));
    await create.getByText('The configuration is well-formed XML').waitFor();
    await create.getByLabel('MSI parameters').fill('REBOOT=ReallySuppress');
    await shot('package-create');
    await create.getByRole('button', { name: 'Create' }).click();
    await create.waitFor({ state: 'detached' });
    const row = fx.page.getByTestId('packages-grid').getByRole('row').filter({ hasText: 'Endpoint Agent 11.0.2044' });
    await row.getByText('endpoint-agent.msi').waitFor();
    await row.getByText('REBOOT=ReallySuppress').waitFor();
    await shot('packages');
  });

  test('Computers: a range is previewed then added; a CSV import reports its invalid line; Get Info shows port-blocked', async () => {
    await tab('Computers').click();
    await fx.page.getByRole('button', { name: 'Add Computers ▾' }).click();
    await fx.page.getByRole('menuitem', { name: 'Names, Addresses, Ranges or File…' }).click();
    const add = dialog('Add Computers');
    await add.getByTestId('add-computers-input').fill('127.0.77.1-3');
    await add.getByRole('button', { name: 'Preview' }).click();
    await add.getByTestId('import-preview').getByText('3 computer(s) will be added').waitFor();
    await add.getByRole('button', { name: 'Add 3' }).click();
    await add.waitFor({ state: 'detached' });

    await fx.page.getByRole('button', { name: 'Add Computers ▾' }).click();
    await fx.page.getByRole('menuitem', { name: 'Names, Addresses, Ranges or File…' }).click();
    await add.getByRole('tab', { name: 'Import file' }).click();
    await add.getByTestId('import-file-path').fill(path.join(files(), 'hosts.csv'));
    await add.getByTestId('add-computers-group').fill('Branch');
    await add.getByRole('button', { name: 'Preview' }).click();
    await add.getByTestId('invalid-line').getByText(/line 3: 127\.0\.77\.999 — not a valid IPv4 address/).waitFor();
    await shot('computers-import-preview');
    await add.getByRole('button', { name: 'Add 2' }).click();
    await add.waitFor({ state: 'detached' });
    assert.match(await fx.page.getByTestId('computers-count').innerText(), /^5 computer\(s\)/);
    await fx.page.getByRole('button', { name: 'Branch (2)' }).click();
    assert.match(await fx.page.getByTestId('computers-count').innerText(), /2 shown/);
    await fx.page.getByRole('button', { name: /^All computers/ }).click();

    const grid = fx.page.getByTestId('computers-grid');
    await grid.getByRole('row').filter({ hasText: '127.0.77.5' }).click();
    await fx.page.getByRole('button', { name: 'Get Info' }).click();
    const info = dialog('Get Info');
    await info.getByTestId('getinfo-results').getByText('port-blocked').waitFor();
    await shot('computers-get-info');
    await info.getByRole('button', { name: 'Close' }).click();
  });

  test('New Installation Task: each step says what is missing; Set for All, Add Clients Special, Set Credentials, Test, Finish', async () => {
    const grid = fx.page.getByTestId('computers-grid');
    await grid.getByRole('row').filter({ hasText: '127.0.77.1' }).click();
    await grid.getByRole('row').filter({ hasText: '127.0.77.3' }).click({ modifiers: ['Shift'] });
    assert.match(await fx.page.getByTestId('computers-count').innerText(), /3 selected/);
    await grid.getByRole('row').filter({ hasText: '127.0.77.2' }).click({ button: 'right' });
    await fx.page.getByRole('menuitem', { name: /New Installation Task…/ }).click();
    const wizard = dialog('New Installation Task');
    await wizard.getByLabel('Windows push installation', { exact: false }).isChecked().then((v) => assert.ok(v));
    assert.ok(await wizard.getByLabel('Install', { exact: true }).isChecked());
    await shot('wizard-type');
    await wizard.getByRole('button', { name: 'Continue' }).click();

    await wizard.getByTestId('wizard-step-logon').waitFor();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('wizard-problem').getByText(/3 computer\(s\) have no credentials/).waitFor();

    await wizard.getByRole('button', { name: 'Set for All…' }).click();
    const setAll = dialog('Set for All');
    // The hint shows the account as it is typed: one backslash.
    assert.equal(await setAll.getByTestId('cred-user').getAttribute('placeholder'), 'CORP\\admin');
    await setAll.getByTestId('cred-user').fill('CORP\\admin');
    await setAll.getByRole('button', { name: 'OK' }).click();
    await setAll.getByTestId('cred-problem').getByText(/Enter the password/).waitFor();
    await setAll.getByTestId('cred-password').fill(PASSWORD);
    await setAll.getByRole('button', { name: 'OK' }).click();
    await setAll.waitFor({ state: 'detached' });
    await wizard.getByTestId('logon-summary').getByText(/3 computer\(s\); all have credentials/).waitFor();

    await wizard.getByRole('button', { name: 'Add Clients Special…' }).click();
    const special = dialog('Add Clients Special');
    await special.getByTestId('add-computers-input').fill('127.0.77.4');
    await special.getByRole('button', { name: 'Add' }).click();
    await special.waitFor({ state: 'detached' });
    await wizard.getByTestId('logon-summary').getByText(/4 computer\(s\); 1 without credentials/).waitFor();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('wizard-problem').getByText(/1 computer\(s\) have no credentials \(127\.0\.77\.4\)/).waitFor();

    const logon = wizard.getByTestId('logon-grid');
    await logon.getByRole('row').filter({ hasText: '127.0.77.4' }).click();
    await wizard.getByRole('button', { name: 'Set Credentials…' }).click();
    const setSome = dialog('Set Credentials');
    assert.equal(await setSome.getByTestId('cred-user').getAttribute('placeholder'), 'CORP\\admin');
    await setSome.getByLabel('Use stored credentials').click();
    await fx.page.getByRole('option', { name: 'CORP\\admin' }).click();
    await setSome.getByRole('button', { name: 'OK' }).click();
    await wizard.getByTestId('logon-summary').getByText(/4 computer\(s\); all have credentials/).waitFor();
    assert.ok(!(await fx.page.content()).includes(PASSWORD), 'the password never comes back to the page');

    await wizard.getByRole('button', { name: 'Test' }).click();
    await logon.getByTestId('test-error').first().getByText('port-blocked').waitFor();
    assert.equal(await logon.getByTestId('test-error').count(), 4);
    assert.match(await logon.getByTestId('test-error').first().innerText(), /nothing accepts TCP 445/);
    await shot('wizard-logon-tested');
    await wizard.getByRole('button', { name: 'Continue' }).click();

    await wizard.getByTestId('wizard-step-package').waitFor();
    await wizard.getByTestId('wizard-packages').getByRole('row').filter({ hasText: 'Endpoint Agent 11.0.2044' }).click();
    await shot('wizard-package');
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('wizard-step-schedule').waitFor();
    await wizard.getByLabel('At a date and time').check();
    await wizard.getByTestId('task-start-at').fill('2001-01-01T10:00');
    await wizard.getByRole('button', { name: 'Finish' }).click();
    await wizard.getByTestId('wizard-problem').getByText(/That time has passed/).waitFor();
    await wizard.getByRole('button', { name: 'Back' }).click();
    await wizard.getByRole('button', { name: 'Back' }).click();
    // Back keeps what was entered.
    await wizard.getByTestId('logon-summary').getByText(/4 computer\(s\); all have credentials/).waitFor();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByLabel('Now').check();
    await wizard.getByTestId('task-name').fill('Deploy Endpoint Agent to the lab');
    await shot('wizard-schedule');
    await wizard.getByRole('button', { name: 'Finish' }).click();
    await wizard.waitFor({ state: 'detached' });
  });

  test('Installation History: live states end as port-blocked with advice; F4 → Details → View Selected Logs; CSV export', async () => {
    assert.equal(await tab('Installation History').getAttribute('aria-selected'), 'true');
    const taskRow = fx.page.getByTestId('tasks-grid').getByRole('row').filter({ hasText: 'Deploy Endpoint Agent to the lab' });
    await taskRow.waitFor();
    const targets = fx.page.getByTestId('targets-grid');
    await targets.getByRole('row').nth(4).waitFor();
    await taskRow.getByText('0 succeeded · 4 failed / 4').waitFor({ timeout: 30_000 });
    await taskRow.getByText('finished').waitFor();
    const rows = targets.getByRole('row').filter({ hasText: '127.0.77.' });
    assert.equal(await rows.count(), 4);
    for (let i = 0; i < 4; i++) {
      const text = await rows.nth(i).innerText();
      assert.match(text, /failed/);
      assert.match(text, /port-blocked/);
      assert.match(text, /start the Server service|File and Printer Sharing/);
    }
    await fx.page.getByTestId('outcome-chart').getByText('4 port-blocked').waitFor();
    await shot('history');

    await targets.getByRole('row').filter({ hasText: '127.0.77.2' }).click();
    await taskRow.click();
    await fx.page.keyboard.press('F4');
    // A dialog is named by its title: Properties of a task is "Task: <name>".
    const props = dialog('Task: Deploy Endpoint Agent to the lab');
    await props.waitFor();
    await props.getByRole('tab', { name: 'Details' }).click();
    await props.getByTestId('details-targets').getByRole('row').filter({ hasText: '127.0.77.2' }).click();
    const steps = props.getByTestId('step-table');
    await steps.getByText(/refused the connection/).first().waitFor();
    await steps.getByRole('row').filter({ hasText: 'done' }).getByText('ECONNREFUSED').waitFor();
    await shot('properties-details');
    await props.getByRole('button', { name: 'View Selected Logs' }).click();
    const viewer = fx.page.getByRole('dialog', { name: /^Logs of 1 computer\(s\)/ });
    const log = viewer.getByTestId('log-view');
    await log.getByText(/127\.0\.77\.2 — step log/).waitFor();
    assert.match(await log.innerText(), /127\.0\.77\.2\s+start\s+push to 127\.0\.77\.2 as CORP\\admin/);
    assert.match(await log.innerText(), /no MSI log/);
    await viewer.getByTestId('log-search').fill('refused');
    await viewer.getByTestId('log-count').getByText(/\d+ of \d+ lines match/).waitFor();
    await shot('log-viewer');
    await viewer.getByRole('button', { name: 'Close' }).click();
    await props.getByRole('button', { name: 'Close' }).click();

    const download = fx.page.waitForEvent('download');
    await fx.page.getByRole('button', { name: 'Export Results (CSV)' }).click();
    const csv = await download;
    const csvPath = path.join(fx.dir, csv.suggestedFilename());
    await csv.saveAs(csvPath);
    const text = fs.readFileSync(csvPath, 'utf8');
    assert.match(text, /127\.0\.77\.4,127\.0\.77\.4,done,failed,port-blocked/);
    assert.ok(!text.includes(PASSWORD));
    const zip = fx.page.waitForEvent('download');
    await fx.page.getByRole('button', { name: 'Export Logs (ZIP)' }).click();
    assert.match((await zip).suggestedFilename(), /-logs\.zip$/);
  });

  test('Computers show each push\'s last result; keyboard: Ctrl+F searches, Ctrl+A selects all, Delete asks before removing', async () => {
    await tab('Computers').click();
    const grid = fx.page.getByTestId('computers-grid');
    await grid.getByRole('row').filter({ hasText: '127.0.77.1' }).getByText(/failed \(port-blocked\)/).waitFor();
    await fx.page.keyboard.press('Control+f');
    await fx.page.keyboard.type('Branch');
    assert.match(await fx.page.getByTestId('computers-count').innerText(), /2 shown/);
    await fx.page.getByLabel('Filter computers').fill('');
    await grid.getByRole('row').filter({ hasText: '127.0.77.5' }).click();
    await fx.page.keyboard.press('Control+a');
    assert.match(await fx.page.getByTestId('computers-count').innerText(), /^6 computer\(s\), 6 shown, 6 selected/);
    await fx.page.keyboard.press('Delete');
    await dialog('Remove 6 computer(s)?').waitFor();
    await shot('computers');
    await dialog('Remove 6 computer(s)?').getByRole('button', { name: 'Cancel' }).click();
  });

  test('no script error reached the page', () => {
    assert.deepEqual(fx.pageErrors, []);
  });
});
