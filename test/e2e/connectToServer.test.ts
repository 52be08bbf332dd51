// End to end: File → Connect to Server… in the browser shell, in Chromium. The console is the
// browser shell of a copy this test built into its own folder (stageConsole → scripts/build.mjs
// --out), with its own data folder; the Push Install Server runs in this process over a real
// PostgreSQL (test/support/postgres.ts) and holds computers and a task of its own. The admin
// enters the server's address and account, is shown the certificate's fingerprint on this first
// contact and confirms it; the window then says "<user> on <server>" with the role (title and
// status bar) and lists the server's data; an administrator's Audit Trail shows the sign-in and a
// change made through the console, filters and pages them and exports CSV; Disconnect returns to
// the console's own (empty) store. Addresses 127.0.4.21–.23 (server, PostgreSQL, console).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openConsolePage, repoRoot } from '../support/browserShell.js';
import { stageConsole, startLinuxShell, waitForShellUrl, type ShellProcess } from '../support/consoleInstall.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { startPushServer, type PushServer } from '../../main/serverMode/server.js';
import { UsersRepo } from '../../main/serverMode/users.js';
import { AuditRepo } from '../../main/serverMode/audit.js';

const SERVER_HOST = '127.0.4.21';
const POSTGRES_HOST = '127.0.4.22';
const CONSOLE_HOST = '127.0.4.23';
const ADMIN = { name: 'console-admin', password: 'console-admin-password-5' };
const TASK_NAME = 'Server task: Endpoint Agent';
const shots = path.join(process.env.PUSHCONSOLE_TEST_OUTPUT ?? path.join(repoRoot, 'test-output'), 'e2e');

describe('a console connects to a Push Install Server through File → Connect to Server…', () => {
  let root: string;
  let postgres: RunningPostgres;
  let server: PushServer;
  let shell: ShellProcess;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let hostPort: string;

  const shot = async (name: string) => {
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
  };
  const dialog = (name: string) => page.getByRole('dialog', { name, exact: true });
  const row = (text: string) => page.getByRole('row').filter({ hasText: text });
  const fileMenu = async (item: string) => {
    await page.getByRole('button', { name: 'File', exact: true }).click();
    await page.getByRole('menuitem', { name: new RegExp(`^${item.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) }).click();
  };

  before(async () => {
    fs.mkdirSync(shots, { recursive: true });
    root = makeTempDir('pic-e2e-connect-');
    const [app, pgServer] = await Promise.all([stageConsole(path.join(root, 'app')), startPostgres({ host: POSTGRES_HOST })]);
    postgres = pgServer;
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('CREATE DATABASE connect_to_server');
    await admin.end();
    process.env.PUSHCONSOLE_LAB = '0';
    server = await startPushServer({
      dbUrl: postgres.url.replace(/\/[^/]+$/, '/connect_to_server'), host: SERVER_HOST, port: 0, dataDir: path.join(root, 'server'),
      rendererDir: path.join(app.dir, 'dist', 'renderer'), packagePort: 0, packageHost: SERVER_HOST, log: () => undefined,
    });
    hostPort = `${SERVER_HOST}:${server.port}`;
    await new UsersRepo(server.db).add(ADMIN.name, 'administrator', ADMIN.password);
    // The server's own data: two computers and a task that ran on them.
    const added = server.services.computers.addMany([{ name: 'SRV-PC-01', address: null, port: null }, { name: 'SRV-PC-02', address: null, port: null }]).added;
    server.services.tasks.create({ name: TASK_NAME, packageId: null, scheduledAt: null, targets: added.map((c) => ({ computerId: c.id, computerName: c.name })) });

    const startedAt = Date.now();
    shell = startLinuxShell(app.browserMain, ['--port', '0', '--host', CONSOLE_HOST, '--no-open'], {
      PUSHCONSOLE_DATA_DIR: path.join(root, 'console'),
      PUSHCONSOLE_KEYCHAIN: 'off',
      PUSHCONSOLE_LAB: '0',
      PUSHCONSOLE_PACKAGE_PORT: '0',
    }, path.join(root, 'shell-output'));
    const { url } = await waitForShellUrl(shell, startedAt, 30_000);
    browser = await launchChromium();
    page = await openConsolePage(browser, url, { timeoutMs: 15_000, acceptDownloads: true, pageErrors });
  });

  after(async () => {
    await browser?.close();
    if (shell) {
      shell.kill();
      await shell.exited();
    }
    await server?.close();
    await postgres?.stop();
    if (root) removeDir(root);
  });

  test('the console starts on its own store: no computers, its data folder in the status bar', async () => {
    await page.getByTestId('empty-state').getByText('No computers yet').waitFor();
    await page.getByText(/^Data: /).waitFor();
    assert.equal(await page.title(), 'Push Install Console');
  });

  test('Connect to Server…: address, user and password; the first contact shows the fingerprint, and nothing is sent before it is confirmed', async () => {
    await fileMenu('Connect to Server…');
    const connect = dialog('Connect to Server');
    await connect.getByTestId('server-url').fill(hostPort);
    await connect.getByTestId('server-user').fill(ADMIN.name);
    await connect.getByTestId('server-password').fill(ADMIN.password);
    await connect.getByRole('button', { name: 'Connect', exact: true }).click();
    const fingerprint = connect.getByTestId('server-fingerprint');
    await fingerprint.waitFor();
    const shown = (await fingerprint.innerText()).replace(/[:\s]/g, '').toLowerCase();
    assert.equal(shown, server.certificate.fingerprint, 'the certificate the server has');
    assert.equal(new AuditRepo(server.db).list({ action: 'logon', limit: 10 }).total, 0, 'no sign-in before the confirmation');
    await shot('connect-fingerprint');
    await connect.getByRole('button', { name: 'Trust and Connect' }).click();
    await connect.waitFor({ state: 'detached' });
  });

  test('connected: the title and the status bar say "<user> on <server>" with the role, and the windows list the server\'s data', async () => {
    const label = `${ADMIN.name} on ${hostPort}`;
    const status = page.getByTestId('server-status');
    await status.waitFor();
    assert.equal(await status.innerText(), `${label} (administrator)`);
    await page.waitForFunction((expected) => (globalThis as unknown as { document: { title: string } }).document.title.startsWith(expected), `${label} (administrator)`);
    await row('SRV-PC-01').waitFor();
    await row('SRV-PC-02').waitFor();
    await page.getByRole('tab', { name: 'Installation History', exact: true }).click();
    await row(TASK_NAME).first().waitFor();
    await shot('connected-history');
    await page.getByRole('tab', { name: 'Computers', exact: true }).click();
    // A change through the console is made on the server, as this account.
    await page.getByRole('button', { name: 'Add Computers ▾' }).click();
    await page.getByRole('menuitem', { name: 'Names, Addresses, Ranges or File…' }).click();
    await page.getByTestId('add-computers-input').fill('SRV-PC-03');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await row('SRV-PC-03').waitFor();
    assert.ok(server.services.computers.list().some((c) => c.name === 'SRV-PC-03'), 'in the server\'s store');
  });

  test('the administrator\'s Audit Trail lists the sign-in and the change, filters and pages them, and exports CSV', async () => {
    await fileMenu('Audit Trail…');
    const audit = dialog('Audit Trail');
    const grid = audit.getByTestId('audit-grid');
    await grid.getByRole('row').filter({ hasText: 'computers.add' }).waitFor();
    await grid.getByRole('row').filter({ hasText: 'logon' }).first().waitFor();
    const change = grid.getByRole('row').filter({ hasText: 'computers.add' });
    assert.match(await change.innerText(), new RegExp(ADMIN.name));
    await shot('audit-trail');
    await audit.getByTestId('audit-action').fill('computers.add');
    await audit.getByRole('button', { name: 'Search' }).click();
    await audit.getByTestId('audit-count').getByText('1–1 of 1').waitFor();
    assert.equal(await grid.locator('tbody tr[data-row-id]').count(), 1);
    const download = page.waitForEvent('download');
    await audit.getByRole('button', { name: 'Export CSV' }).click();
    const file = await download;
    const csv = fs.readFileSync((await file.path())!, 'utf8');
    assert.match(file.suggestedFilename(), /^audit-trail-.*\.csv$/);
    assert.match(csv, /^at,user,address,action,ids,detail\r\n/);
    assert.equal(csv.trim().split('\r\n').length, 2, 'the header and the one row the filter matches');
    assert.ok(csv.includes('computers.add') && csv.includes(ADMIN.name));
    await audit.getByTestId('audit-exported').waitFor();
    await audit.getByRole('button', { name: 'Close', exact: true }).click();
    await audit.waitFor({ state: 'detached' });
  });

  test('Disconnect returns to the console\'s own store', async () => {
    await fileMenu('Disconnect from Server');
    await page.getByText(/^Data: /).waitFor();
    await page.getByTestId('empty-state').getByText('No computers yet').waitFor();
    assert.equal(await page.getByTestId('server-status').count(), 0);
    await page.waitForFunction(() => (globalThis as unknown as { document: { title: string } }).document.title === 'Push Install Console');
    assert.deepEqual(pageErrors, []);
  });
});
