// pushctl's global --data DIR is taken before the command and after it, as users type it; the
// command's own options are left alone, and `--` ends the scan. --auth/--kdc/--realm are checked as the settings are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { main, takeDataOption } from '../../main/cli/pushctl.js';
import { parseAuthArgs } from '../../main/cli/authArgs.js';
import { SettingsSchema, defaultSettings } from '../../main/ipc/contract.js';
import { DATABASE_FILE_NAME } from '../../main/store/database.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { tempDirFor } from '../support/tempDir.js';

test('--data DIR and --data=DIR are taken out of a command\'s arguments, the last one wins, and -- ends the scan', () => {
  assert.deepEqual(takeDataOption(['h1', '--msi', 'a.msi', '--data', 'D1', '--json']), { dataDir: 'D1', rest: ['h1', '--msi', 'a.msi', '--json'] });
  assert.deepEqual(takeDataOption(['--data=D1', 'h1', '--data', 'D2']), { dataDir: 'D2', rest: ['h1'] });
  assert.deepEqual(takeDataOption(['h1', '--', '--data', 'D1']), { rest: ['h1', '--', '--data', 'D1'] });
  assert.equal(takeDataOption(['h1', '--data']).error, '--data needs a folder');
  assert.deepEqual(takeDataOption(['h1']), { rest: ['h1'] });
});

test('pushctl push … --data DIR after the command opens the database in DIR', async (t) => {
  const dir = tempDirFor(t, 'pic-pushctl-data-');
  const data = path.join(dir, 'data');
  // A remembered credential that is not there: the database is opened in the data folder, then the push is refused (exit 2).
  const code = await main(['push', '127.0.0.1:9', '--msi', path.join(REPO_ROOT, 'package.json'), '--credential', '5', '--data', data]);
  assert.equal(code, 2);
  assert.ok(fs.existsSync(path.join(data, DATABASE_FILE_NAME)), 'the database is in the --data folder given after the command');
});

test('--auth, --kdc (repeatable) and --realm become the run\'s Authentication settings; a wrong value is refused with what is wrong', () => {
  assert.deepEqual(parseAuthArgs({ auth: 'kerberos-only', kdc: ['dc1.corp.example.com', '10.0.0.5:88', '[::1]:1088'], realm: ['CORP=CORP.EXAMPLE.COM'] }), {
    authentication: 'kerberos-only',
    kdcAddresses: 'dc1.corp.example.com,10.0.0.5:88,[::1]:1088',
    kerberosRealms: 'CORP=CORP.EXAMPLE.COM',
  });
  assert.deepEqual(parseAuthArgs({}), {});
  assert.match(parseAuthArgs({ auth: 'kerberos' }) as string, /--auth must be negotiate, kerberos-only or ntlm-only/);
  assert.match(parseAuthArgs({ kdc: ['dc1:99999'] }) as string, /--kdc: .*valid port/);
  assert.match(parseAuthArgs({ realm: ['CORP'] }) as string, /--realm "CORP" is not DOMAIN=REALM/);
  // Accepted values pass the settings' own rules too (what Configuration → Authentication saves).
  const parsed = parseAuthArgs({ kdc: ['dc1.corp.example.com:88'], realm: ['A=B.C'] });
  assert.ok(SettingsSchema.safeParse({ ...defaultSettings, ...(parsed as object) }).success);
});
