// Get Info, Diagnostics and the wizard's Test through the real router against real SMB peers:
// three hosts of the simulated lab (main/lab: SMB 3.1.1 servers with ADMIN$ and \pipe\svcctl) —
// one healthy, one whose local admin gets a UAC-filtered token, one whose password was rotated.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createConsoleServices, type ConsoleServices } from '../../main/app/services.js';
import type { ChannelName, RequestOf, ResultOf } from '../../main/ipc/contract.js';
import type { IpcRouter } from '../../main/ipc/router.js';
import { everythingOf } from '../../main/engine/cleanup.js';
import { LAB_ADMIN, startLab, type Lab } from '../../main/lab/lab.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';

describe('host checks against lab hosts', () => {
  let lab: Lab;
  let dir: string;
  let services: ConsoleServices;
  let router: IpcRouter;
  let ids: Record<string, number>;
  let credentialId: number;

  async function call<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResultOf<C>> {
    const envelope = await router.dispatch(channel, request, { shell: 'browser', url: 't' });
    if (!envelope.ok) throw new Error(JSON.stringify(envelope.error));
    return envelope.result as ResultOf<C>;
  }

  before(async () => {
    lab = await startLab({
      hosts: 3, first: '127.0.36.1', port: 14481, logonFailureDelayMs: 0,
      profile: { default: 'healthy', hosts: { 'LAB-PC-002': 'uac-filtered', 'LAB-PC-003': 'wrong-credentials' } },
    });
    dir = makeTempDir('pic-hostchecks-');
    services = createConsoleServices({ dataDir: path.join(dir, 'data'), shell: 'browser' });
    router = services.router(() => true);
    const { added } = services.computers.addMany(lab.hosts.map((h) => ({ name: h.config.name, address: h.config.address, port: h.config.port })));
    ids = Object.fromEntries(added.map((c) => [c.name, c.id]));
    credentialId = (await call('credentials.set', { user: `${LAB_ADMIN.domain}\\${LAB_ADMIN.user}`, password: LAB_ADMIN.password, remember: false })).id;
  });
  after(async () => {
    await services?.close();
    await lab?.close();
    if (dir) removeDir(dir);
  });

  test('Get Info reads names, domain, OS build, dialect and signing without credentials, and fills the computer in', async () => {
    const [info] = await call('computers.getInfo', { ids: [ids['LAB-PC-001']!] });
    assert.equal(info!.ok, true, JSON.stringify(info));
    assert.equal(info!.serverName, 'LAB-PC-001');
    assert.equal(info!.domain, 'lab.example');
    assert.equal(info!.osVersion, '10.0.26100');
    assert.equal(info!.dialect, '3.1.1');
    assert.equal(typeof info!.signingRequired, 'boolean');
    const computer = (await call('computers.list', {})).find((c) => c.name === 'LAB-PC-001')!;
    assert.deepEqual([computer.domain, computer.os], ['lab.example', 'Windows 10.0.26100']);
  });

  test('the wizard\'s Test tells a ready host from a UAC-filtered one and a wrong password, with advice', async () => {
    const checks = await call('credentials.test', { credentialId, computerIds: [ids['LAB-PC-001']!, ids['LAB-PC-002']!, ids['LAB-PC-003']!] });
    const [ok, uac, wrong] = checks;
    assert.deepEqual([ok!.ok, ok!.logon, ok!.adminShareWritable, ok!.scmAccess], [true, true, true, true]);
    assert.equal(uac!.ok, false);
    assert.equal(uac!.logon, true, 'the password is right');
    assert.equal(uac!.error?.class, 'access-denied');
    assert.match(uac!.error!.advice, /LocalAccountTokenFilterPolicy|built-in Administrator|domain account/);
    assert.deepEqual([wrong!.ok, wrong!.logon], [false, false]);
    assert.equal(wrong!.error?.class, 'logon-failure');
  });

  test('Remove Leftovers on Computers cleans what a push left where the credential works, and says what remains where it does not', async () => {
    process.env.PUSHCONSOLE_LAB = '0';
    const runtime = await services.startPush({ port: 0, host: '127.0.0.1' });
    delete process.env.PUSHCONSOLE_LAB;
    assert.ok(!(runtime instanceof Error), String(runtime));
    const pkg = services.packages.add({ name: 'p', msiFileName: 'p.msi', msiPath: path.join(dir, 'p.msi'), msiSize: 1, msiSha256: '0'.repeat(64) });
    const targets = (['LAB-PC-001', 'LAB-PC-003'] as const).map((name) => {
      const host = lab.host(name)!.config;
      return { computerId: ids[name]!, computerName: name, credentialId, address: host.address, port: host.port };
    });
    const { targetIds } = services.tasks.create({ name: 'crashed push', packageId: pkg.id, scheduledAt: null, targets });
    // What a push interrupted mid-copy leaves on record: its run folder, agent and service.
    for (const [i, id] of targetIds.entries()) {
      services.tasks.updateTarget(id, { state: 'done', outcome: 'interrupted', leftovers: JSON.stringify(everythingOf(`r1-${id}-1-abc12${i}`, `PushInstallAgent-r1-${id}`)) });
    }
    const result = await call('computers.removeLeftovers', { ids: [ids['LAB-PC-001']!, ids['LAB-PC-003']!] });
    assert.deepEqual(result, { targets: 2, cleaned: 1, remaining: 1, noCredentials: 0 }, 'the credential is held: the rotated password, not a missing credential, keeps one');
    assert.equal(services.tasks.targetRecord(targetIds[0]!)!.leftovers, null, 'the healthy host is clean');
    assert.notEqual(services.tasks.targetRecord(targetIds[1]!)!.leftovers, null, 'the rotated password keeps them on record');
  });

  test('Diagnostics lists each check: all ok for the healthy host, ADMIN$ refused for the filtered one', async () => {
    const [healthy, filtered] = await call('computers.diagnose', { ids: [ids['LAB-PC-001']!, ids['LAB-PC-002']!], credentialId });
    const verdict = (r: typeof healthy, check: string) => r!.checks.find((c) => c.check === check)?.ok;
    assert.equal(healthy!.ok, true, JSON.stringify(healthy!.errors));
    for (const check of ['Reachable on TCP 445', 'Logon', 'ADMIN$ writable', 'Service Control Manager']) assert.equal(verdict(healthy, check), true, check);
    assert.equal(verdict(healthy, 'Agent callback (TCP 2224)'), null, 'untestable until an agent runs');
    assert.equal(filtered!.ok, false);
    assert.equal(verdict(filtered, 'Logon'), true);
    assert.equal(verdict(filtered, 'ADMIN$ writable'), false);
    assert.ok(filtered!.errors.some((e) => e.class === 'access-denied' && e.step === 'admin-share'));
  });
});
