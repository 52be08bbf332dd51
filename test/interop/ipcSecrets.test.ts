// Every channel of the IPC contract, called through the router with a credential whose
// password is unique (also used as an LDAP bind password), returns nothing that contains it — nor
// its base64 or NT hash — in a result or an error. The request fixtures are typed per channel:
// a channel added to the contract without one fails the typecheck, and this test.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { createConsoleServices } from '../../main/app/services.js';
import { MemoryVault } from '../../main/engine/credentials.js';
import { channelNames, type ChannelName, type RequestOf } from '../../main/ipc/contract.js';
import { REPO_ROOT } from '../support/childProcess.js';
import { secretForms, secretHits } from '../support/secretSearch.js';
import { tempDirFor } from '../support/tempDir.js';

interface Ids {
  dir: string;
  password: string;
  computerId: number;
  credentialId: number;
  packageId: number;
  taskId: number;
  targetId: number;
  scanId: string;
  ldapPort: number;
}

const DEMO_MSI = path.join(REPO_ROOT, 'assets', 'demo', 'PushInstallDemo.msi');
const DEMO_CFG = path.join(REPO_ROOT, 'assets', 'demo', 'demo.cfg.xml');

/** One valid request per channel. Destructive ones run last (see LAST). */
const fixtures: { [C in ChannelName]: (ids: Ids) => RequestOf<C> } = {
  'app.info': () => ({}),
  'computers.list': () => ({}),
  'computers.add': () => ({ entries: ['pc-extra-01', '10.9.8.7', 'not a name!'], groupName: 'Secrets' }),
  'computers.remove': (ids) => ({ ids: [ids.computerId] }),
  'packages.list': () => ({}),
  'tasks.list': () => ({}),
  'tasks.targets': (ids) => ({ taskId: ids.taskId }),
  'tasks.targetsById': (ids) => ({ taskId: ids.taskId, targetIds: [ids.targetId] }),
  'targets.log': (ids) => ({ targetId: ids.targetId }),
  'credentials.list': () => ({}),
  'credentials.set': (ids) => ({ label: 'Second', user: 'CORP\\other', password: `${ids.password}-2`, remember: false }),
  // A LAPS credential whose reading account has the same password (the directory is the silent port).
  'credentials.setLaps': (ids) => ({ label: 'LAPS', url: `ldaps://127.0.0.1:${ids.ldapPort}`, baseDn: 'DC=corp,DC=example', startTls: false, allowUntrusted: true, bindDn: 'reader@corp.example', password: ids.password, remember: false }),
  'credentials.remove': (ids) => ({ id: ids.credentialId }),
  'credentials.test': (ids) => ({ credentialId: ids.credentialId, computerIds: [ids.computerId] }),
  'tasks.create': (ids) => ({ name: 'Another', packageId: ids.packageId, scheduledAt: null, runAs: 'system', action: 'uninstall', targets: [{ computerId: ids.computerId, credentialId: ids.credentialId }] }),
  'tasks.cancel': (ids) => ({ taskId: ids.taskId }),
  'tasks.restartComputers': (ids) => ({ taskId: ids.taskId, reboot: { policy: 'now', graceMinutes: 5, forceAfterMinutes: 60, message: 'Restarting to finish an installation.' } }),
  'tasks.retryFailed': (ids) => ({ taskId: ids.taskId }),
  'tasks.redeploy': (ids) => ({ taskId: ids.taskId }),
  'targets.cancel': (ids) => ({ targetId: ids.targetId }),
  'targets.cancelRestart': (ids) => ({ targetId: ids.targetId }),
  'targets.removeLeftovers': (ids) => ({ targetId: ids.targetId }),
  'credentials.rebind': (ids) => ({ credentialId: ids.credentialId, taskId: ids.taskId }),
  'leftovers.list': () => ({}),
  'targets.msiLog': (ids) => ({ targetId: ids.targetId }),
  'files.list': (ids) => ({ path: ids.dir, extensions: ['msi', 'txt'] }),
  'files.chooseNative': () => ({ title: 'Pick', extensions: ['msi'] }),
  'packages.inspect': () => ({ msiPath: DEMO_MSI, configPath: DEMO_CFG }),
  'packages.create': () => ({ name: 'Second package', msiPath: DEMO_MSI, parameters: 'A=1', runAs: 'admin' }),
  'packages.duplicate': (ids) => ({ id: ids.packageId, name: 'Copy' }),
  'packages.remove': (ids) => ({ id: ids.packageId }),
  'computers.preview': () => ({ text: 'pc-01\n10.0.0.1-10.0.0.3\nbad name!\n' }),
  'computers.previewFile': (ids) => ({ path: path.join(ids.dir, 'list.txt') }),
  'computers.setGroup': (ids) => ({ ids: [ids.computerId], groupName: 'Moved' }),
  'computers.getInfo': (ids) => ({ ids: [ids.computerId] }),
  'computers.diagnose': (ids) => ({ ids: [ids.computerId], credentialId: ids.credentialId }),
  'computers.removeLeftovers': (ids) => ({ ids: [ids.computerId] }),
  'scan.start': () => ({ range: '127.0.0.1', port: 9 }),
  'scan.cancel': (ids) => ({ scanId: ids.scanId }),
  // A bind with the same password to a port that takes the connection and says nothing.
  'directory.search': (ids) => ({ url: `ldap://127.0.0.1:${ids.ldapPort}`, baseDn: 'DC=corp,DC=example', bindDn: 'CN=admin,DC=corp,DC=example', password: ids.password }),
  'history.exportCsv': (ids) => ({ taskId: ids.taskId }),
  'history.exportLogs': (ids) => ({ taskId: ids.taskId }),
  'app.networkAddresses': () => ({}),
  'settings.get': () => ({}),
  'settings.update': () => ({ connectTimeoutSeconds: 1 }),
  // The same password for a server account, to an address that takes the connection and says nothing.
  'server.connect': (ids) => ({ url: `https://127.0.0.1:${ids.ldapPort}`, user: 'admin', password: ids.password }),
  'server.disconnect': () => ({}),
  'server.status': () => ({}),
  'audit.list': () => ({ limit: 10, text: 'x' }),
  'audit.exportCsv': () => ({ user: 'admin' }),
  // In the contract's order: the site added is the fresh store's first (id 1).
  'sites.list': () => ({}),
  'workers.list': () => ({}),
  'sites.add': () => ({ name: 'Branch', cidrs: ['127.0.0.0/8', '2001:db8::/32'], adSite: 'Branch-Site' }),
  'sites.update': () => ({ id: 1, cidrs: ['127.0.0.0/16'] }),
  'sites.remove': () => ({ id: 1 }),
  'computers.setSite': (ids) => ({ ids: [ids.computerId], site: 'default' }),
};

const LAST: ChannelName[] = ['computers.remove', 'packages.remove', 'credentials.remove'];

test('no channel of the contract returns the password, its base64 or its NT hash', async (t) => {
  const missing = channelNames.filter((c) => !(c in fixtures));
  assert.deepEqual(missing, [], 'every channel needs a request fixture here');
  assert.deepEqual(Object.keys(fixtures).filter((c) => !channelNames.includes(c as ChannelName)), [], 'no fixture for a channel that is gone');

  const dir = tempDirFor(t, 'pic-ipc-secrets-');
  fs.writeFileSync(path.join(dir, 'list.txt'), 'pc-01\npc-02\n');
  const agent = path.join(dir, 'PushInstallAgent.exe');
  fs.writeFileSync(agent, crypto.randomBytes(4096));
  process.env.PUSHCONSOLE_AGENT = agent;
  t.after(() => void delete process.env.PUSHCONSOLE_AGENT);
  // An "LDAP server" that accepts and stays silent, then is closed.
  const silent = net.createServer((s) => setTimeout(() => s.destroy(), 200));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.after(() => void silent.close());

  const services = createConsoleServices({ dataDir: path.join(dir, 'data'), shell: 'browser', createVault: (db) => new MemoryVault(db) });
  t.after(() => services.close());
  const router = services.router(() => true);
  const outputs: string[] = [];
  const dispatch = async (channel: ChannelName, request: unknown) => {
    const envelope = await router.dispatch(channel, request, { shell: 'browser', url: 'test' });
    outputs.push(`${channel} → ${JSON.stringify(envelope)}`);
    return envelope;
  };
  const must = async <T>(channel: ChannelName, request: unknown): Promise<T> => {
    const e = await dispatch(channel, request);
    assert.ok(e.ok, `${channel}: ${JSON.stringify(e)}`);
    return e.result as T;
  };
  services.events.subscribe((event, payload) => outputs.push(`event ${event} → ${JSON.stringify(payload)}`));
  await must('settings.update', { simulatedLab: false, connectTimeoutSeconds: 1, agentCallbackTimeoutSeconds: 10 });
  const runtime = await services.startPush({ port: 0, host: '127.0.0.1' });
  assert.ok(!(runtime instanceof Error), String(runtime));

  const password = `Ipc-${crypto.randomBytes(12).toString('hex')}`;
  const secret = secretForms(password);
  assert.ok(secretHits(secret, `x${Buffer.from(password).toString('base64')}x`).includes('password base64'), 'the search finds what it looks for');
  const { added } = services.computers.addMany([{ name: 'PC-CLOSED', address: '127.0.0.1', port: 9 }]);
  const credential = await must<{ id: number }>('credentials.set', { label: 'Unique', user: 'CORP\\admin', password, remember: true });
  const pkg = await must<{ id: number }>('packages.create', { name: 'Demo', msiPath: DEMO_MSI, configPath: DEMO_CFG, parameters: '', runAs: 'admin' });
  const { taskId } = await must<{ taskId: number }>('tasks.create', { name: 'First', packageId: pkg.id, scheduledAt: null, runAs: 'admin', targets: [{ computerId: added[0]!.id, credentialId: credential.id }] });
  await services.runtime()!.engine.waitForTask(taskId);
  const targets = await must<{ id: number }[]>('tasks.targets', { taskId });
  const scan = await must<{ scanId: string }>('scan.start', { range: '127.0.0.1', port: 9 });
  const ids: Ids = { dir, password, computerId: added[0]!.id, credentialId: credential.id, packageId: pkg.id, taskId, targetId: targets[0]!.id, scanId: scan.scanId, ldapPort: (silent.address() as net.AddressInfo).port };

  const order = [...channelNames.filter((c) => !LAST.includes(c)), ...LAST];
  const refusedAsInvalid: string[] = [];
  for (const channel of order) {
    const request = (fixtures[channel] as (ids: Ids) => unknown)(ids);
    const envelope = await dispatch(channel, request);
    if (!envelope.ok && envelope.error.class === 'invalid-request') refusedAsInvalid.push(`${channel}: ${envelope.error.message}`);
  }
  assert.deepEqual(refusedAsInvalid, [], 'every fixture is a valid request');
  // A request the contract refuses must not echo the password either.
  await dispatch('credentials.set', { user: 'x', password: `${password}${'!'.repeat(300)}`, remember: true });
  await dispatch('directory.search', { url: 'not a url', baseDn: 'x', bindDn: 'y', password });
  await services.runtime()!.engine.waitForTask(taskId);

  const leaks = outputs.flatMap((o) => secretHits(secret, o).map((h) => `${h}: ${o.slice(0, 160)}`));
  assert.deepEqual(leaks, []);
  assert.ok(outputs.length >= channelNames.length + 5);
  t.diagnostic(`${channelNames.length} channels called, ${outputs.length} results and events searched`);
});
