// Keychain credentials end to end in Chromium: Set for All with "Remember" and "Keep only the NT
// hash", through the browser shell to a real Secret Service (GNOME Keyring in a private D-Bus
// session). The Logon grid shows where the secret is kept and what it is; the wizard refuses to
// install as the administrator account with a hash-only credential and says why; installed as
// SYSTEM, the lab host succeeds with nothing but the NT hash. After a restart of the console the
// credential is still there (the keychain kept it), and the keychain item holds the NT hash, not
// the password.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PACKAGE_NAME, LAB_GROUP } from '../../main/app/labDemo.js';
import { LAB_ADMIN } from '../../main/lab/lab.js';
import { DATABASE_FILE_NAME } from '../../main/store/database.js';
import { Database } from '../../main/store/sqlite.js';
import { assignProfiles } from '../../main/lab/profiles.js';
import { ntHash } from '../../main/smb/auth/ntlm/client.js';
import { launchChromium, openConsolePage, repoRoot, startBrowserShell, tempDir, type RunningShell } from '../support/browserShell.js';
import { startSecretService, type SecretService } from '../support/secretService.js';

const HOSTS = 4;
const names = Array.from({ length: HOSTS }, (_, i) => `LAB-PC-${String(i + 1).padStart(3, '0')}`);
const healthy = names[assignProfiles(names, 'mixed').indexOf('healthy')]!;

describe('credentials in the keychain, NT hash only, from the browser', () => {
  let dir: string;
  let keyring: SecretService;
  let shell: RunningShell | undefined;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const env = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(keyring.env)) if (v !== undefined) out[k] = v;
    return {
      ...out,
      PUSHCONSOLE_KEYCHAIN: 'on',
      PUSHCONSOLE_LAB: '1',
      PUSHCONSOLE_LAB_HOSTS: String(HOSTS),
      PUSHCONSOLE_LAB_FIRST: '127.0.38.1',
      PUSHCONSOLE_LAB_PORT: '14474',
    };
  };
  const open = async () => {
    shell = await startBrowserShell(path.join(dir, 'data'), 30_000, env());
    page = await openConsolePage(browser, shell.url, { timeoutMs: 15_000, pageErrors });
  };

  before(async () => {
    dir = tempDir('pic-e2e-keychain-');
    keyring = await startSecretService();
    browser = await launchChromium();
    await open();
  });

  after(async () => {
    await browser?.close();
    await shell?.stop();
    await keyring?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const tab = (name: string) => page.getByRole('tab', { name, exact: true });
  /** Computers → the lab group → the healthy host → Ctrl+N → Logon → Set for All…. */
  const setForAllOnHealthyHost = async () => {
    await tab('Computers').click();
    await page.getByRole('button', { name: `${LAB_GROUP} (${HOSTS})` }).click();
    await page.getByTestId('computers-grid').getByRole('row').filter({ hasText: healthy }).click();
    await page.keyboard.press('Control+n');
    const wizard = page.getByRole('dialog', { name: 'New Installation Task' });
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByRole('button', { name: 'Set for All…' }).click();
    return { wizard, setAll: page.getByRole('dialog', { name: 'Set for All' }) };
  };

  test('a remembered NT-hash-only credential shows "keychain" and "NT hash only"; the wizard refuses an admin install; as SYSTEM the host succeeds', async () => {
    const { wizard, setAll } = await setForAllOnHealthyHost();
    await setAll.getByTestId('cred-user').fill(`LAB\\${LAB_ADMIN.user}`);
    await setAll.getByTestId('cred-password').fill(LAB_ADMIN.password);
    await setAll.getByTestId('cred-remember').check();
    assert.equal(await setAll.getByTestId('cred-no-keychain').count(), 0, 'the keychain is reachable: no memory-only notice');
    await setAll.getByTestId('cred-hash-only').check();
    await setAll.getByRole('button', { name: 'OK' }).click();
    await setAll.waitFor({ state: 'detached' });

    const row = wizard.getByTestId('logon-grid').getByRole('row').filter({ hasText: healthy });
    assert.equal(await row.getByTestId('cred-storage').innerText(), 'keychain');
    assert.equal(await row.getByTestId('cred-keeps').innerText(), 'NT hash only');

    await wizard.getByRole('button', { name: 'Test' }).click();
    await row.getByText('ready to push').waitFor({ timeout: 30_000 });
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('wizard-packages').getByRole('row').filter({ hasText: DEMO_PACKAGE_NAME }).click();
    await wizard.getByRole('radio', { name: /administrator/i }).check();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('wizard-problem').getByText(/keep only the NT hash: they can install as SYSTEM/).waitFor();

    await wizard.getByRole('radio', { name: /SYSTEM/ }).check();
    await wizard.getByRole('button', { name: 'Continue' }).click();
    await wizard.getByTestId('task-name').fill('Hash-only push');
    await wizard.getByRole('button', { name: 'Finish' }).click();
    await wizard.waitFor({ state: 'detached' });

    const taskRow = page.getByTestId('tasks-grid').getByRole('row').filter({ hasText: 'Hash-only push' });
    await taskRow.getByText('finished', { exact: true }).waitFor({ timeout: 60_000 });
    await taskRow.getByText(/1 succeeded · 0 failed \/ 1/).waitFor();
  });

  test('after a restart the credential is still available from the keychain, and the keychain item is the NT hash, never the password', async () => {
    await page.close();
    await shell!.stop();
    shell = undefined;

    const db = new Database(path.join(dir, 'data', DATABASE_FILE_NAME), { readonly: true });
    const rows = db.prepare('SELECT secret_ref, secret_kind FROM credentials WHERE username = ?').all(LAB_ADMIN.user) as { secret_ref: string; secret_kind: string }[];
    db.close();
    const remembered = rows.filter((r) => r.secret_ref.startsWith('keychain:'));
    assert.equal(remembered.length, 1, `one remembered credential, got ${JSON.stringify(rows)}`);
    assert.equal(remembered[0]!.secret_kind, 'nt-hash');
    const raw = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/keychainChild.ts', path.join(dir, 'data'), 'raw-get', remembered[0]!.secret_ref], {
      cwd: repoRoot, env: keyring.env, encoding: 'utf8', timeout: 60_000,
    });
    assert.equal(raw.status, 0, raw.stderr);
    const item = (JSON.parse(raw.stdout.trim().split('\n').at(-1)!) as { password: string }).password;
    assert.equal(item, ntHash(LAB_ADMIN.password).toString('hex'), 'the keychain holds MD4(UTF-16LE(password)) in hex');
    assert.ok(!item.includes(LAB_ADMIN.password));

    await open();
    const { wizard, setAll } = await setForAllOnHealthyHost();
    await setAll.getByLabel('Use stored credentials').click();
    const option = page.getByRole('option').filter({ hasText: `LAB\\${LAB_ADMIN.user}` }).filter({ hasText: 'keychain' });
    await option.getByText('NT hash only').waitFor();
    await option.click();
    await setAll.getByRole('button', { name: 'OK' }).click();
    const row = wizard.getByTestId('logon-grid').getByRole('row').filter({ hasText: healthy });
    assert.equal(await row.getByTestId('cred-storage').innerText(), 'keychain');
  });

  test('no script error reached the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
