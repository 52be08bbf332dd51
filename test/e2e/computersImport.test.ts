// End to end, the other ways into Computers and what to do with them, in Chromium through the
// browser shell: a network scan of a loopback range where the test listens on two addresses
// (found, added; cancel works), an Active Directory import from a real slapd started by the test
// (LDAPS with its self-signed certificate allowed, an OU, a group), Diagnostics with credentials
// showing each check, and Packages: duplicate, and delete refused while a task uses the package.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openConsolePage, repoRoot, startBrowserShell, tempDir, type RunningShell } from '../support/browserShell.js';
import { BASE_DN, READER_DN, READER_PASSWORD, startSlapd, type RunningSlapd } from '../support/slapd.js';
import { buildMsi } from '../support/wixl.js';

const shots = path.join(process.env.PUSHCONSOLE_TEST_OUTPUT ?? path.join(repoRoot, 'test-output'), 'e2e');

describe('Computers: scan, Active Directory, Diagnostics; Packages: duplicate and delete', () => {
  let dir: string;
  let shell: RunningShell;
  let slapd: RunningSlapd;
  let browser: Browser;
  let page: Page;
  let port: number;
  const listeners: net.Server[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    fs.mkdirSync(shots, { recursive: true });
    dir = tempDir('pic-e2e-import-');
    buildMsi(dir, 'agent.msi', { name: 'Scan Agent', version: '2.1.0', manufacturer: 'Example Security', productCode: '{44444444-5555-6666-7777-888888888888}' });
    // Two "computers" answer on one port at 127.0.79.4 and .9; the rest of the range refuses.
    const first = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => first.listen(0, '127.0.79.4', resolve));
    port = (first.address() as net.AddressInfo).port;
    const second = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => second.listen(port, '127.0.79.9', resolve));
    listeners.push(first, second);
    slapd = await startSlapd([
      { cn: 'WS-HR-01', ou: 'Workstations', dnsName: 'ws-hr-01.corp.example', os: 'Windows 11 Pro' },
      { cn: 'WS-HR-02', ou: 'Workstations', dnsName: 'ws-hr-02.corp.example', os: 'Windows 11 Pro' },
      { cn: 'SRV-DB', ou: 'Servers', dnsName: 'srv-db.corp.example', os: 'Windows Server 2022' },
    ], '127.0.45.1');
    shell = await startBrowserShell(path.join(dir, 'data'), 20_000, { PUSHCONSOLE_LAB: '0' });
    browser = await launchChromium();
    page = await openConsolePage(browser, shell.url, { timeoutMs: 15_000, pageErrors });
  });

  after(async () => {
    await browser?.close();
    await shell?.stop();
    await slapd?.stop();
    for (const l of listeners) l.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const dialog = (name: string) => page.getByRole('dialog', { name, exact: true });
  // MUI's dialogs fade for 225 ms: wait them out so the picture shows what the admin sees.
  const shot = async (name: string) => {
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
  };
  const addMenu = async (item: string) => {
    await page.getByRole('button', { name: 'Add Computers ▾' }).click();
    await page.getByRole('menuitem', { name: item }).click();
  };

  test('Network scan finds exactly the two listening addresses of the range, with progress, and adds them', async () => {
    await addMenu('Network Scan…');
    const scan = dialog('Network Scan');
    await scan.getByTestId('scan-range').fill('127.0.79.1-127.0.79.30');
    await scan.getByTestId('scan-port').fill(String(port));
    await scan.getByRole('button', { name: 'Scan' }).click();
    await scan.getByTestId('scan-status').getByText('30 of 30 probed · 2 answered · finished').waitFor();
    assert.equal(await scan.getByTestId('scan-found').innerText(), '127.0.79.4\n127.0.79.9');
    await shot('computers-network-scan');
    await scan.getByRole('button', { name: 'Add 2 Found' }).click();
    await scan.getByText('Added 2 computer(s).').waitFor();
    // (Cancelling a scan midway is proven in test/unit/networkScan.test.ts: refused loopback
    // addresses answer too fast to cancel from a page.)
    await scan.getByTestId('scan-range').fill('10.0.0.0/16');
    await scan.getByRole('button', { name: 'Scan' }).click();
    await scan.getByTestId('error-notice').getByText(/\/16 holds 65534 addresses/).waitFor();
    await scan.getByRole('button', { name: 'Close' }).click();
    await page.getByTestId('computers-grid').getByRole('row').filter({ hasText: '127.0.79.9' }).waitFor();
  });

  test('Active Directory: LDAPS refuses the self-signed certificate until allowed, an OU narrows, the computers join a group', async () => {
    await addMenu('Active Directory…');
    const ad = dialog('Import from Active Directory');
    await ad.getByTestId('ad-url').fill(slapd.ldapsUrl);
    await ad.getByTestId('ad-base').fill(BASE_DN);
    await ad.getByTestId('ad-bind').fill(READER_DN);
    await ad.getByTestId('ad-password').fill(READER_PASSWORD);
    await ad.getByRole('button', { name: 'Search' }).click();
    const notice = ad.getByTestId('error-notice');
    await notice.waitFor();
    assert.equal(await notice.getAttribute('data-error-class'), 'directory-tls');
    await ad.getByLabel(/accept a certificate this computer does not trust/).check();
    await ad.getByTestId('ad-ou').fill(`ou=Workstations,${BASE_DN}`);
    await ad.getByLabel('Add to group (optional)').fill('HR');
    await ad.getByRole('button', { name: 'Search' }).click();
    const results = ad.getByTestId('ad-results');
    await results.getByRole('row').filter({ hasText: 'ws-hr-02.corp.example' }).waitFor();
    assert.equal(await results.getByRole('row').filter({ hasText: 'SRV-DB' }).count(), 0, 'outside the OU');
    await shot('computers-active-directory');
    await ad.getByRole('button', { name: 'Add 2 Selected' }).click();
    await ad.getByTestId('ad-added').getByText('Added 2 computer(s).').waitFor();
    await ad.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'HR (2)' }).click();
    const grid = page.getByTestId('computers-grid');
    await grid.getByRole('row').filter({ hasText: 'ws-hr-01.corp.example' }).waitFor();
    await page.getByRole('button', { name: /^All computers/ }).click();
  });

  test('Diagnostics with credentials lists every check; an unreachable computer says why', async () => {
    const grid = page.getByTestId('computers-grid');
    await grid.getByRole('row').filter({ hasText: 'ws-hr-01.corp.example' }).click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Diagnostics…' }).click();
    const diag = dialog('Diagnostics');
    await diag.getByRole('button', { name: 'Set Credentials…' }).click();
    const set = dialog('Set Credentials');
    await set.getByTestId('cred-user').fill('CORP\\helpdesk');
    await set.getByTestId('cred-password').fill('diag-pw-1');
    await set.getByRole('button', { name: 'OK' }).click();
    await diag.getByRole('button', { name: 'Run Checks' }).click();
    const result = diag.getByTestId('diagnostics-result');
    await result.getByText('ws-hr-01.corp.example: not ready').waitFor();
    assert.match(await result.innerText(), /Reachable on TCP 445\s+failed/);
    assert.match(await result.innerText(), /Agent callback \(TCP 2224\)\s+—\s+known only once an agent runs there/);
    assert.match(await result.innerText(), /name-not-resolved|offline|port-blocked/);
    await shot('computers-diagnostics');
    await diag.getByRole('button', { name: 'Close' }).click();
  });

  test('Packages: a duplicate gets its own parameters; delete is refused while a task uses the package', async () => {
    await page.getByRole('tab', { name: 'Packages' }).click();
    await page.getByRole('button', { name: 'Create Package…' }).click();
    const create = dialog('Create Package');
    await create.getByTestId('package-msi').fill(path.join(dir, 'agent.msi'));
    await create.getByTestId('msi-info').getByText('Scan Agent').waitFor();
    await create.getByRole('button', { name: 'Create' }).click();
    await create.waitFor({ state: 'detached' });
    const grid = page.getByTestId('packages-grid');
    await grid.getByRole('row').filter({ hasText: 'Scan Agent 2.1.0' }).click();
    await page.getByRole('button', { name: 'Duplicate…' }).click();
    const dup = dialog('Duplicate Package');
    await dup.getByLabel('MSI parameters').fill('LOGLEVEL=verbose');
    await dup.getByRole('button', { name: 'Duplicate' }).click();
    const copy = grid.getByRole('row').filter({ hasText: 'Scan Agent 2.1.0 (copy)' });
    await copy.getByText('LOGLEVEL=verbose').waitFor();
    await copy.click();
    await page.keyboard.press('Delete');
    await page.getByRole('dialog', { name: 'Delete the package “Scan Agent 2.1.0 (copy)”?' }).getByRole('button', { name: 'Delete' }).click();
    await copy.waitFor({ state: 'detached' });

    // A task that uses the package (pushed to the scanned addresses, which refuse SMB).
    await page.getByRole('tab', { name: 'Computers' }).click();
    await page.getByTestId('computers-grid').getByRole('row').filter({ hasText: '127.0.79.4' }).click();
    await page.getByRole('button', { name: 'New Installation Task…' }).click();
    const wizard = dialog('New Installation Task');
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByRole('button', { name: 'Set for All…' }).click();
    const set = dialog('Set for All');
    await set.getByLabel('Use stored credentials').click();
    await page.getByRole('option', { name: 'CORP\\helpdesk' }).click();
    await set.getByRole('button', { name: 'OK' }).click();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByRole('button', { name: 'Continue' }).click(); // the only package is chosen already
    await wizard.getByRole('button', { name: 'Finish' }).click();
    await wizard.waitFor({ state: 'detached' });

    await page.getByRole('tab', { name: 'Packages' }).click();
    await grid.getByRole('row').filter({ hasText: 'Scan Agent 2.1.0' }).click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete the package “Scan Agent 2.1.0”?' }).getByRole('button', { name: 'Delete' }).click();
    const notice = page.getByTestId('error-notice');
    await notice.waitFor();
    assert.equal(await notice.getAttribute('data-error-class'), 'package-in-use');
    assert.match(await notice.innerText(), /used by 1 task\(s\)/);
    await shot('packages-in-use');
  });

  test('no script error reached the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
