// End to end: two consoles — two Chromium pages, two accounts — on one Push Install Server, against
// a real PostgreSQL (test/support/postgres.ts) and simulated lab hosts in their own process
// (test/support/labProcess.ts). The server runs in this process with the renderer this test built
// into its own folder (stageConsole → scripts/build.mjs --out), over TLS with its self-signed
// certificate: the browser is the console here (ignoreHTTPSErrors); the certificate pinning of
// programs is tested in test/interop/pushServer.test.ts.
//
// Page A signs in through the sign-in page as an operator and does everything through the UI, as
// an admin would: Create Package (the MSI's path on the server's disk typed into the path field, as
// the browser shell's tests do — a browser cannot hand a server-side file over), Add Computers
// (the lab hosts as address:port), New Installation Task → Set for All with a new remembered
// credential (the lab account) → Test → the package → Finish. Only the server's own callback
// address (an administrator's setting) is set over the API, as test set-up.
// Page B signs in as a viewer, watches the task and its targets progress in Installation History
// without reloading, then tries Cancel Task and a New Installation Task of its own: the server
// refuses both (class forbidden, naming the role) and the audit trail and tables show nothing
// changed. Every change A made has its audit row with A's name and address. A wrong password on the
// sign-in page shows the refusal. Every sign-in is the form posted exactly as Chromium sends it.
// The pages' own source address (what the audit rows hold) is Chromium's, 127.0.0.1. Addresses 127.0.7.0/24 (server .1, PostgreSQL .2, the set-up
// admin's client .3, lab hosts .11–.13 on TCP 14270) — docs/TESTING.md §6.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, repoRoot } from '../support/browserShell.js';
import { stageConsole } from '../support/consoleInstall.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';
import { startLabProcess, type LabProcess } from '../support/labProcess.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { startPushServer, type PushServer } from '../../main/serverMode/server.js';
import { connect, signIn } from '../../main/serverMode/serverClient.js';
import { UsersRepo } from '../../main/serverMode/users.js';
import { AuditRepo } from '../../main/serverMode/audit.js';

const SERVER_HOST = '127.0.7.1';
const POSTGRES_HOST = '127.0.7.2';
const ADMIN_CLIENT = '127.0.7.3';
const LAB_FIRST = '127.0.7.11';
const LAB_PORT = 14270;
const LAB_HOSTS = 3;
/** Long enough for the viewer to see each host installing, and to try Cancel Task meanwhile. */
const INSTALL_MS = 8_000;
const DEMO_MSI = path.join(repoRoot, 'assets', 'demo', 'PushInstallDemo.msi');
const OPERATOR = { name: 'operator-a', password: 'operator-a-password-1' };
const VIEWER = { name: 'viewer-b', password: 'viewer-b-password-2' };
const ADMIN = { name: 'admin-setup', password: 'admin-setup-password-3' };
const PACKAGE_NAME = 'Demo via server';
const TASK_NAME = 'Server push to the lab';
const shots = path.join(process.env.PUSHCONSOLE_TEST_OUTPUT ?? path.join(repoRoot, 'test-output'), 'e2e');

/**
 * Records, every 50 ms, each target row's text of the targets grid (by its first cell), once per
 * change, in window.__targetTexts; window.__sameDocument is set once and survives only if the page
 * is never reloaded. A string: tsx's helpers do not exist in the page.
 */
const TARGETS_RECORDER = `(() => {
  window.__sameDocument = true;
  window.__targetTexts = {};
  setInterval(() => {
    for (const row of document.querySelectorAll('[data-testid="targets-grid"] tbody tr[data-row-id]')) {
      const key = row.cells[0] ? row.cells[0].innerText.trim() : '';
      const text = row.innerText.replace(/\\s+/g, ' ').trim();
      const seen = (window.__targetTexts[key] ||= []);
      if (seen[seen.length - 1] !== text) seen.push(text);
    }
  }, 50);
})()`;

describe('two consoles on one Push Install Server: an operator pushes, a viewer watches and is refused', () => {
  let root: string;
  let postgres: RunningPostgres;
  let dbUrl: string;
  let lab: LabProcess;
  let server: PushServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let pageA: Page;
  let pageB: Page;
  const pageErrors: string[] = [];
  let client: pg.Client;
  const hostEntries = () => lab.hosts.map((h) => `${h.address}:${lab.port}`);

  const query = async <T extends pg.QueryResultRow>(text: string, params: unknown[] = []) => (await client.query<T>(text, params)).rows;
  const audit = () => new AuditRepo(server.db);

  /** A console's page in its own context (its own cookies). */
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, ignoreHTTPSErrors: true });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return page;
  }

  /** The sign-in page as a person uses it: the console's address redirects there, the form is filled and posted. */
  async function signInPage(page: Page, user: string, password: string): Promise<void> {
    await page.goto(server.url);
    assert.equal(new URL(page.url()).pathname, '/signin', 'the console without a session is behind the sign-in page');
    await page.getByLabel('User name').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  const shot = async (page: Page, name: string) => {
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
  };
  const tab = (page: Page, name: string) => page.getByRole('tab', { name, exact: true });
  const dialog = (page: Page, name: string) => page.getByRole('dialog', { name, exact: true });

  before(async () => {
    fs.mkdirSync(shots, { recursive: true });
    root = makeTempDir('pic-e2e-server-');
    const [app, pgServer, labHosts] = await Promise.all([
      stageConsole(path.join(root, 'app')),
      startPostgres({ host: POSTGRES_HOST }),
      startLabProcess(LAB_HOSTS, LAB_FIRST, LAB_PORT, INSTALL_MS),
    ]);
    postgres = pgServer;
    lab = labHosts;
    dbUrl = await postgres.createDatabase('server_consoles');
    // The engine runs in this process: the stand-in agent stageConsole put beside the build (the lab runs its own), no demo lab.
    process.env.PUSHCONSOLE_AGENT = path.join(app.dir, 'agent', 'dist', 'PushInstallAgent.exe');
    process.env.PUSHCONSOLE_LAB = '0';
    server = await startPushServer({
      dbUrl, host: SERVER_HOST, port: 0, dataDir: path.join(root, 'server'), rendererDir: path.join(app.dir, 'dist', 'renderer'),
      packagePort: 0, packageHost: SERVER_HOST, log: () => undefined,
    });
    const users = new UsersRepo(server.db);
    await users.add(OPERATOR.name, 'operator', OPERATOR.password);
    await users.add(VIEWER.name, 'viewer', VIEWER.password);
    await users.add(ADMIN.name, 'administrator', ADMIN.password);
    // Set-up over the API, as the server's administrator: where the lab's agents call back (the server's address in this block).
    const session = await signIn({ url: server.url, fingerprint: server.certificate.fingerprint, localAddress: ADMIN_CLIENT }, ADMIN.name, ADMIN.password);
    const setup = await connect(session);
    try {
      await setup.api.invoke('settings.update', { callbackAddress: SERVER_HOST });
    } finally {
      setup.close();
    }
    client = new pg.Client({ connectionString: dbUrl });
    await client.connect();
    browser = await launchChromium();
    pageA = await newPage();
    pageB = await newPage();
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await client?.end().catch(() => undefined);
    await server?.close();
    await lab?.stop();
    await postgres?.stop();
    if (root) removeDir(root);
  });

  test('the sign-in form\'s post, as Chromium sends it (its Origin, under the page\'s same-origin referrer policy), signs in', async () => {
    const page = await newPage();
    await signInPage(page, VIEWER.name, VIEWER.password);
    await page.waitForLoadState();
    const body = (await page.locator('body').innerText()).trim();
    assert.equal(new URL(page.url()).pathname, '/', `the console opens after the sign-in; the server answered: ${body.slice(0, 200)}`);
    await page.getByRole('heading', { name: 'Push Install Console' }).waitFor();
  });

  test('a wrong password on the sign-in page is refused there, with the reason', async () => {
    const page = await newPage();
    await signInPage(page, OPERATOR.name, 'not-the-operator-password');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /The account name or password is wrong/);
    assert.equal(new URL(page.url()).pathname, '/signin', 'still on the sign-in page');
    assert.equal(await page.getByRole('heading', { name: 'Push Install Console' }).count(), 0, 'no console behind it');
    const failed = audit().list({ action: 'logon-failed', user: OPERATOR.name, limit: 10 });
    assert.equal(failed.total, 1, 'the refusal is audited');
  });

  test('the operator and the viewer sign in through the sign-in page; each console opens', async () => {
    await signInPage(pageA, OPERATOR.name, OPERATOR.password);
    await pageA.getByRole('heading', { name: 'Push Install Console' }).waitFor();
    await signInPage(pageB, VIEWER.name, VIEWER.password);
    await pageB.getByRole('heading', { name: 'Push Install Console' }).waitFor();
    for (const page of [pageA, pageB]) assert.equal(new URL(page.url()).pathname, '/');
    // The viewer watches Installation History from now on, never reloading.
    await tab(pageB, 'Installation History').click();
    await pageB.evaluate(TARGETS_RECORDER);
  });

  test('A: Create Package with the demo MSI\'s path on the server', async () => {
    await tab(pageA, 'Packages').click();
    await pageA.getByRole('button', { name: 'Create Package…' }).click();
    const create = dialog(pageA, 'Create Package');
    await create.getByTestId('package-msi').fill(DEMO_MSI);
    await create.getByTestId('msi-info').waitFor();
    await create.getByTestId('package-name').fill(PACKAGE_NAME);
    await create.getByRole('button', { name: 'Create' }).click();
    await create.waitFor({ state: 'detached' });
    await pageA.getByTestId('packages-grid').getByRole('row').filter({ hasText: PACKAGE_NAME }).waitFor();
  });

  test('A: Add Computers with the lab hosts', async () => {
    await tab(pageA, 'Computers').click();
    await pageA.getByRole('button', { name: 'Add Computers ▾' }).click();
    await pageA.getByRole('menuitem', { name: 'Names, Addresses, Ranges or File…' }).click();
    const add = dialog(pageA, 'Add Computers');
    await add.getByTestId('add-computers-input').fill(hostEntries().join('\n'));
    await add.getByRole('button', { name: 'Add', exact: true }).click();
    await add.waitFor({ state: 'detached' });
    const grid = pageA.getByTestId('computers-grid');
    for (const h of lab.hosts) await grid.getByRole('row').filter({ hasText: h.address }).waitFor();
    assert.match(await pageA.getByTestId('computers-count').innerText(), new RegExp(`^${LAB_HOSTS} computer\\(s\\)`));
    // The viewer's console heard of them too (the computers' list is shared).
  });

  test('A: New Installation Task — Set for All with the lab account (remembered), Test, the package, Finish', async () => {
    const grid = pageA.getByTestId('computers-grid');
    await grid.getByRole('row').filter({ hasText: lab.hosts[0]!.address }).click();
    await pageA.keyboard.press('Control+a');
    assert.match(await pageA.getByTestId('computers-count').innerText(), new RegExp(`${LAB_HOSTS} selected`));
    await pageA.keyboard.press('Control+n');
    const wizard = dialog(pageA, 'New Installation Task');
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByRole('button', { name: 'Set for All…' }).click();
    const setAll = dialog(pageA, 'Set for All');
    await setAll.getByTestId('cred-user').fill(lab.account.user);
    await setAll.getByTestId('cred-password').fill(lab.account.password);
    await setAll.getByTestId('cred-remember').check();
    await setAll.getByRole('button', { name: 'OK' }).click();
    await setAll.waitFor({ state: 'detached' });
    await wizard.getByTestId('logon-summary').getByText(new RegExp(`${LAB_HOSTS} computer\\(s\\); all have credentials`)).waitFor();
    await wizard.getByRole('button', { name: 'Test' }).click();
    const logon = wizard.getByTestId('logon-grid');
    for (const h of lab.hosts) await logon.getByRole('row').filter({ hasText: h.address }).getByText('ready to push').waitFor({ timeout: 30_000 });
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('wizard-packages').getByRole('row').filter({ hasText: PACKAGE_NAME }).click();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('task-name').fill(TASK_NAME);
    await shot(pageA, 'server-operator-wizard');
    await wizard.getByRole('button', { name: 'Finish' }).click();
    await wizard.waitFor({ state: 'detached' });
    await pageA.getByTestId('tasks-grid').getByRole('row').filter({ hasText: TASK_NAME }).waitFor();
  });

  test('B (viewer): the task appears and its targets progress live in Installation History; Cancel Task is refused by the server', async () => {
    const taskRow = pageB.getByTestId('tasks-grid').getByRole('row').filter({ hasText: TASK_NAME });
    await taskRow.waitFor();
    await taskRow.click();
    const targets = pageB.getByTestId('targets-grid');
    for (const h of lab.hosts) await targets.getByRole('row').filter({ hasText: h.address }).waitFor();
    await taskRow.getByText('running', { exact: true }).waitFor({ timeout: 30_000 });
    await targets.getByRole('row').filter({ hasText: 'installing' }).first().waitFor({ timeout: 30_000 }).catch(async (error: Error) => {
      const seen = JSON.stringify(await pageB.evaluate('window.__targetTexts'));
      const rows = JSON.stringify(await query('SELECT computer_name, state, outcome, error_class FROM task_targets ORDER BY id'));
      throw new Error(`${error.message}\nthe viewer saw: ${seen}\nthe table says: ${rows}`);
    });
    await shot(pageB, 'server-viewer-history-running');

    // Cancel Task while the push runs: the button is there (the UI does not hide it), the server refuses.
    const tasksBefore = await query<{ id: number; status: string }>('SELECT id, status FROM tasks');
    const changesBefore = audit().list({ limit: 1000 }).rows.filter((r) => !r.action.startsWith('logon')).length;
    await pageB.getByTestId('task-toolbar').getByRole('button', { name: 'Cancel Task' }).click();
    const notice = pageB.getByTestId('history-notice');
    await notice.waitFor();
    const text = await notice.innerText();
    assert.match(text, /^forbidden: /, text);
    assert.match(text, new RegExp(`${VIEWER.name} \\(viewer\\) may not do tasks\\.cancel: it needs the operator role`), text);
    await shot(pageB, 'server-viewer-cancel-refused');
    assert.deepEqual(audit().list({ action: 'tasks.cancel', limit: 10 }).total, 0, 'no cancel in the audit trail');
    assert.equal(audit().list({ limit: 1000 }).rows.filter((r) => !r.action.startsWith('logon')).length, changesBefore, 'no change at all');
    assert.deepEqual(await query('SELECT id, status FROM tasks'), tasksBefore, 'the tasks are as they were');

    // The push ends as it would have: every host succeeded, seen live by the viewer.
    await taskRow.getByText('finished', { exact: true }).waitFor({ timeout: 90_000 });
    await taskRow.getByText(new RegExp(`${LAB_HOSTS} succeeded · 0 failed / ${LAB_HOSTS}`)).waitFor();
    const seen = (await pageB.evaluate('window.__sameDocument === true && window.__targetTexts')) as Record<string, string[]> | false;
    assert.ok(seen, 'the viewer\'s page was never reloaded');
    for (const h of lab.hosts) {
      const texts = Object.entries(seen).find(([key]) => key.includes(h.address) || key.includes(h.name))?.[1] ?? [];
      assert.ok(texts.length >= 2, `${h.address}: its row changed while watched: ${JSON.stringify(texts)}`);
      assert.ok(texts.some((t) => /installing/.test(t)), `${h.address}: seen installing: ${JSON.stringify(texts)}`);
      assert.match(texts.at(-1)!, /succeeded/, `${h.address}: seen ending succeeded: ${JSON.stringify(texts)}`);
    }
    const states = await query<{ outcome: string }>('SELECT outcome FROM task_targets');
    assert.deepEqual(states.map((s) => s.outcome), Array(LAB_HOSTS).fill('succeeded'));
    await shot(pageB, 'server-viewer-history-finished');
  });

  test('B (viewer): a New Installation Task of its own is refused by the server at Finish; no task is created', async () => {
    const tasksBefore = (await query<{ n: string }>('SELECT count(*) AS n FROM tasks'))[0]!.n;
    await tab(pageB, 'Computers').click();
    const grid = pageB.getByTestId('computers-grid');
    await grid.getByRole('row').filter({ hasText: lab.hosts[0]!.address }).click();
    await pageB.keyboard.press('Control+a');
    await pageB.keyboard.press('Control+n');
    const wizard = dialog(pageB, 'New Installation Task');
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByRole('button', { name: 'Set for All…' }).click();
    const setAll = dialog(pageB, 'Set for All');
    await setAll.getByLabel('Use stored credentials').click();
    await pageB.getByRole('option', { name: lab.account.user }).click();
    await setAll.getByRole('button', { name: 'OK' }).click();
    await wizard.getByTestId('logon-summary').getByText(new RegExp(`${LAB_HOSTS} computer\\(s\\); all have credentials`)).waitFor();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('wizard-packages').getByRole('row').filter({ hasText: PACKAGE_NAME }).click();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('task-name').fill('Viewer push');
    await wizard.getByRole('button', { name: 'Finish' }).click();
    const error = wizard.getByTestId('error-notice');
    await error.waitFor();
    assert.equal(await error.getAttribute('data-error-class'), 'forbidden');
    assert.match(await error.innerText(), new RegExp(`${VIEWER.name} \\(viewer\\) may not do tasks\\.create: it needs the operator role`));
    await shot(pageB, 'server-viewer-create-refused');
    assert.equal((await query<{ n: string }>('SELECT count(*) AS n FROM tasks'))[0]!.n, tasksBefore, 'no task was created');
    const byViewer = audit().list({ user: VIEWER.name, limit: 100 }).rows.map((r) => r.action);
    assert.ok(byViewer.length >= 1 && byViewer.every((a) => a === 'logon'), `the viewer's only rows are its sign-ins: ${byViewer.join(', ')}`);
  });

  test('every change A made has its audit row: who (A), from where (A\'s page), what and which ids', async () => {
    const logon = audit().list({ action: 'logon', user: OPERATOR.name, limit: 10 }).rows;
    assert.equal(logon.length, 1);
    const address = logon[0]!.address;
    assert.ok(address, 'the sign-in has the page\'s address');
    const rows = await query<{ action: string; user_name: string; address: string; ids: string }>(
      "SELECT action, user_name, address, ids FROM audit_log WHERE action NOT LIKE 'logon%' AND user_name = $1 ORDER BY id",
      [OPERATOR.name],
    );
    const actions = rows.map((r) => r.action);
    // Each change once, in the order A made them; reads (and the wizard's Test) leave none.
    assert.deepEqual(actions, ['packages.create', 'computers.add', 'credentials.set', 'tasks.create']);
    // The address the server saw A's page connect from (Chromium's own source address on loopback).
    assert.match(address, /^127\./);
    for (const row of rows) assert.equal(row.address, address, `${row.action} from the page's address`);
    const ids = (action: string) => JSON.parse(rows.find((r) => r.action === action)!.ids) as number[];
    const computerIds = (await query<{ id: number }>('SELECT id FROM computers ORDER BY id')).map((r) => Number(r.id));
    assert.deepEqual([...ids('computers.add')].sort((a, b) => a - b), computerIds);
    const [task] = await query<{ id: number }>('SELECT id FROM tasks WHERE name = $1', [TASK_NAME]);
    assert.ok(ids('tasks.create').includes(Number(task!.id)));
    const [pkg] = await query<{ id: number }>('SELECT id FROM packages WHERE name = $1', [PACKAGE_NAME]);
    assert.ok(ids('packages.create').includes(Number(pkg!.id)));
    const [credential] = await query<{ id: number }>('SELECT id FROM credentials');
    assert.ok(ids('credentials.set').includes(Number(credential!.id)));
    console.log(`audit rows of ${OPERATOR.name} from ${address}: ${actions.join(', ')}`);
  });

  test('no script error reached either page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
