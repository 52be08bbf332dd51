// pushctl sites through a Push Install Server (main/cli/sites.ts, wired in main/cli/remote.ts): a
// real PostgreSQL (test/support/postgres.ts), the server started in this process on 127.0.8.1,
// pushctl run as a child process. An administrator adds a site and the server's computers its range
// matches move to it; `sites list --json` reads it back (a viewer may); a viewer's `sites add` is
// refused (exit 3, forbidden) and nothing is added; the audit trail has the administrator's row.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';
import { writeRendererFixture } from '../support/http.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';
import { runCaptured, type CapturedRun } from '../support/childProcess.js';
import { startPushServer, type PushServer } from '../../main/serverMode/server.js';
import { connect, signIn, type ServerConnection } from '../../main/serverMode/serverClient.js';
import { UsersRepo } from '../../main/serverMode/users.js';
import { AuditRepo } from '../../main/serverMode/audit.js';
import type { Site } from '../../main/ipc/contract.js';

const HOST = '127.0.8.1';
const PASSWORDS = { admin: 'admin-password-81', view: 'viewer-password-83' };

let postgres: RunningPostgres;
let root: string;
let server: PushServer;
const connections: ServerConnection[] = [];

async function as(user: keyof typeof PASSWORDS): Promise<ServerConnection> {
  const connection = await connect(await signIn({ url: server.url, fingerprint: server.certificate.fingerprint }, user, PASSWORDS[user]));
  connections.push(connection);
  return connection;
}

function pushctl(user: keyof typeof PASSWORDS, args: readonly string[]): Promise<CapturedRun> {
  return runCaptured(
    process.execPath,
    ['--import', 'tsx', 'main/cli/entry.ts', '--data', path.join(root, 'cli-data'), '--server', server.url, '--user', user, '--password-env', 'PIC_SERVER_PASSWORD', '--fingerprint', server.certificate.fingerprint, ...args],
    { ...process.env, PUSHCONSOLE_KEYCHAIN: 'off', PIC_SERVER_PASSWORD: PASSWORDS[user] },
  );
}

before(async () => {
  // No simulated lab beside the server: this test listens on 127.0.8.1 only (and PostgreSQL on 127.0.0.1).
  process.env.PUSHCONSOLE_LAB = '0';
  postgres = await startPostgres({ host: '127.0.0.1' });
  root = makeTempDir('pic-pushctl-sites-');
  const dataDir = path.join(root, 'server');
  server = await startPushServer({
    dbUrl: await postgres.createDatabase('pushctl_sites'), host: HOST, port: 0, dataDir, rendererDir: writeRendererFixture(dataDir), packagePort: 0, packageHost: HOST, log: () => undefined,
  });
  const users = new UsersRepo(server.db);
  await users.add('admin', 'administrator', PASSWORDS.admin);
  await users.add('view', 'viewer', PASSWORDS.view);
});

after(async () => {
  for (const c of connections) c.close();
  await server?.close();
  await postgres?.stop();
  delete process.env.PUSHCONSOLE_LAB;
  if (root) removeDir(root);
});

describe('pushctl --server … sites', () => {
  test('an administrator\'s sites add places the server\'s computers; sites list --json reads it back, for a viewer too', async () => {
    const admin = await as('admin');
    await admin.api.invoke('computers.add', { entries: ['10.1.2.3', '10.9.0.1', 'pc-by-name', '2001:db8:1::5'] });
    const run = await pushctl('admin', ['sites', 'add', 'Lyon office', '--cidr', '10.1.0.0/16', '--cidr', '2001:DB8:1::/48', '--json']);
    assert.equal(run.status, 0, run.stderr);
    const added = JSON.parse(run.stdout) as Site;
    assert.deepEqual([added.name, added.cidrs, added.adSite, added.computers], ['Lyon office', ['10.1.0.0/16', '2001:db8:1::/48'], null, 2]);

    const listed = await pushctl('view', ['sites', 'list', '--json']);
    assert.equal(listed.status, 0, listed.stderr);
    const sites = JSON.parse(listed.stdout) as Site[];
    assert.deepEqual(sites.map((s) => [s.id, s.name, s.cidrs, s.computers]), [[added.id, 'Lyon office', ['10.1.0.0/16', '2001:db8:1::/48'], 2]]);
    const text = await pushctl('view', ['sites', 'list']);
    assert.match(text.stdout, /^Lyon office +#\d+ +2 computer\(s\) +10\.1\.0\.0\/16, 2001:db8:1::\/48$/m);

    const computers = await admin.api.invoke('computers.list', {});
    assert.deepEqual(computers.map((c) => [c.name, c.siteName]).sort(), [['10.1.2.3', 'Lyon office'], ['10.9.0.1', null], ['2001:db8:1::5', 'Lyon office'], ['PC-BY-NAME', null]]);
    const rows = new AuditRepo(server.db).list({ action: 'sites.add', limit: 10, offset: 0 }).rows;
    assert.deepEqual(rows.map((r) => [r.user, r.ids]), [['admin', [added.id]]]);

    // A range another site has is the store's refusal: exit 1 with its class.
    const again = await pushctl('admin', ['sites', 'add', 'Other', '--cidr', '10.1.0.0/16']);
    assert.equal(again.status, 1, again.stderr);
    assert.match(again.stderr, /already a rule of the site "Lyon office".*\[invalid-site\]\n$/s);
    // A range that is not one never reaches the server: exit 2.
    const bad = await pushctl('admin', ['sites', 'add', 'Other', '--cidr', '10.1.2.3/16']);
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /host bits/);
  });

  test('a viewer\'s sites add and sites remove are refused: exit 3, forbidden, nothing changed', async () => {
    const before = (await (await as('admin')).api.invoke('sites.list', {})).map((s) => s.name);
    const run = await pushctl('view', ['sites', 'add', 'Paris', '--cidr', '10.2.0.0/16']);
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stderr, /^pushctl: A viewer may not call sites\.add: it needs the role administrator\..*\[forbidden\]\n$/s);
    assert.equal(run.stdout, '');
    const removed = await pushctl('view', ['sites', 'remove', 'Lyon office']);
    assert.equal(removed.status, 3, removed.stderr);
    assert.match(removed.stderr, /\[forbidden\]\n$/);
    // The server refuses it too, whatever pushctl checks first.
    const view = await as('view');
    await assert.rejects(view.api.invoke('sites.add', { name: 'Paris', cidrs: ['10.2.0.0/16'] }), (e: unknown) => (e as { errorClass?: string }).errorClass === 'forbidden');
    assert.deepEqual((await view.api.invoke('sites.list', {})).map((s) => s.name), before);
  });

  test('an administrator\'s sites remove sends the site\'s computers back to the default site', async () => {
    const run = await pushctl('admin', ['sites', 'remove', 'lyon OFFICE']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Removed the site "Lyon office": its 2 computer\(s\)/);
    const admin = await as('admin');
    assert.deepEqual(await admin.api.invoke('sites.list', {}), []);
    assert.ok((await admin.api.invoke('computers.list', {})).every((c) => c.siteId === null));
    const missing = await pushctl('admin', ['sites', 'remove', 'Lyon office']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /\[not-found\]\n$/);
  });
});
