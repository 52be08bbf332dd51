// Active Directory import against a real directory server: Debian's slapd started by the test
// (test/support/slapd.ts) with AD-schema computer objects in two OUs, a user that must not be
// listed, and LDAPS with a self-signed certificate. Through the real router and handler.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createConsoleServices, type ConsoleServices } from '../../main/app/services.js';
import type { IpcError, ResultOf } from '../../main/ipc/contract.js';
import type { IpcRouter } from '../../main/ipc/router.js';
import { ADMIN_DN, ADMIN_PASSWORD, BASE_DN, READER_DN, READER_PASSWORD, startSlapd, type RunningSlapd } from '../support/slapd.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';

const COMPUTERS = [
  { cn: 'WS-ACCT-01', ou: 'Workstations', dnsName: 'ws-acct-01.corp.example', os: 'Windows 11 Enterprise', osVersion: '10.0 (22631)' },
  { cn: 'WS-ACCT-02', ou: 'Workstations', dnsName: 'ws-acct-02.corp.example', os: 'Windows 10 Pro', osVersion: '10.0 (19045)' },
  { cn: 'FS01', ou: 'Servers', dnsName: 'fs01.corp.example', os: 'Windows Server 2022 Standard' },
  { cn: 'OLDBOX', ou: 'Servers' },
];

describe('Active Directory import from slapd', () => {
  let slapd: RunningSlapd;
  let dir: string;
  let services: ConsoleServices;
  let router: IpcRouter;

  const search = async (q: Record<string, unknown>) => {
    const envelope = await router.dispatch('directory.search', { baseDn: BASE_DN, bindDn: READER_DN, password: READER_PASSWORD, url: slapd.ldapUrl, ...q }, { shell: 'browser', url: 't' });
    return envelope as { ok: true; result: ResultOf<'directory.search'> } | { ok: false; error: IpcError };
  };

  before(async () => {
    slapd = await startSlapd(COMPUTERS);
    dir = makeTempDir('pic-ldap-');
    services = createConsoleServices({ dataDir: path.join(dir, 'data'), shell: 'browser' });
    router = services.router(() => true);
  });
  after(async () => {
    await services?.close();
    await slapd?.stop();
    if (dir) removeDir(dir);
  });

  test('the whole base lists every computer object (not users) with DNS name and OS', async () => {
    const r = await search({});
    assert.ok(r.ok, JSON.stringify(r));
    const byName = new Map(r.result.computers.map((c) => [c.name, c]));
    assert.deepEqual([...byName.keys()].sort(), ['FS01', 'OLDBOX', 'WS-ACCT-01', 'WS-ACCT-02']);
    assert.deepEqual(byName.get('WS-ACCT-01'), { name: 'WS-ACCT-01', dnsName: 'ws-acct-01.corp.example', os: 'Windows 11 Enterprise 10.0 (22631)', dn: `cn=WS-ACCT-01,ou=Workstations,${BASE_DN}` });
    assert.deepEqual(byName.get('OLDBOX'), { name: 'OLDBOX', dnsName: null, os: null, dn: `cn=OLDBOX,ou=Servers,${BASE_DN}` });
    assert.equal(r.result.truncated, false);
  });

  test('an OU narrows the search; the directory\'s admin account works too', async () => {
    const r = await search({ ou: `ou=Workstations,${BASE_DN}`, bindDn: ADMIN_DN, password: ADMIN_PASSWORD });
    assert.ok(r.ok);
    assert.deepEqual(r.result.computers.map((c) => c.name).sort(), ['WS-ACCT-01', 'WS-ACCT-02']);
  });

  test('a wrong password, a missing base and a closed port each get their class and advice', async () => {
    const wrong = await search({ password: 'not-it' });
    assert.ok(!wrong.ok);
    assert.equal(wrong.error.class, 'directory-logon');
    assert.match(wrong.error.advice, /password/);
    const base = await search({ ou: `ou=Nowhere,${BASE_DN}` });
    assert.ok(!base.ok);
    assert.equal(base.error.class, 'directory-base');
    const closed = await search({ url: `ldap://${slapd.host}:9` });
    assert.ok(!closed.ok);
    assert.equal(closed.error.class, 'directory-unreachable');
    // This directory shows anonymous binds nothing, as AD does by default: not even the base.
    const anonymous = await search({ bindDn: '', password: '' });
    assert.ok(!anonymous.ok);
    assert.equal(anonymous.error.class, 'directory-base');
  });

  test('LDAPS: a self-signed certificate is refused unless allowed, then the same computers come back', async () => {
    const refused = await search({ url: slapd.ldapsUrl });
    assert.ok(!refused.ok);
    assert.equal(refused.error.class, 'directory-tls');
    const allowed = await search({ url: slapd.ldapsUrl, allowUntrusted: true });
    assert.ok(allowed.ok, JSON.stringify(allowed));
    assert.equal(allowed.result.computers.length, 4);
  });
});
