// The DCE/RPC + MS-SCMR client against a peer that is not ours: an svcctl server built on
// impacket's NDR (test/support/scmrPeer/) behind a real smbd with SMB 3.1.1, signing and
// encryption required. A missing Samba or impacket fails these tests; they never skip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ScmrClient, ServiceState } from '../../main/rpc/scmr.js';
import { checkScmAccess, createService, startAndWait, stopAndDelete, uniqueServiceName } from '../../main/rpc/serviceLifecycle.js';
import { SmbConnection } from '../../main/smb/connection.js';
import { SmbSession } from '../../main/smb/session.js';
import { SmbTree } from '../../main/smb/tree.js';
import { startScmrPeer, type ScmrPeer } from '../support/scmrPeer.js';
import { expectClass } from '../support/expectError.js';

const FAST = { pollIntervalMs: 50, startTimeoutMs: 5000, stopTimeoutMs: 5000 };

/** The peer rewrites its state file just after it answers: read it once it shows what `ready` wants. */
async function servicesWhen(peer: ScmrPeer, ready: (s: ReturnType<ScmrPeer['services']>) => boolean) {
  for (let i = 0; i < 40; i++) {
    const services = peer.services();
    if (ready(services)) return services;
    await new Promise((r) => setTimeout(r, 50));
  }
  return peer.services();
}

async function scmrTo(peer: ScmrPeer, maxFrag?: number) {
  const connection = await SmbConnection.connect({ host: peer.address, port: peer.port, connectTimeoutMs: 3000, requestTimeoutMs: 15_000 });
  const session = await SmbSession.setup(connection, { user: peer.users[0]!.name, password: peer.users[0]!.password }, { targetHost: peer.address });
  const ipc = await SmbTree.connect(session, peer.address, 'IPC$');
  const scmr = await ScmrClient.bind(await ipc.openPipe('svcctl'), maxFrag ? { maxFrag } : {});
  return { connection, session, scmr };
}

describe('MS-SCMR against the impacket peer behind smbd (3.1.1, signing and encryption required)', () => {
  let peer: ScmrPeer;
  before(async () => {
    peer = await startScmrPeer({ address: '127.0.0.80', config: { startCommand: ['sh', '-c', 'sleep 30'] } });
  });
  after(() => peer?.stop());

  test('the whole push lifecycle: copy, create, start, RUNNING, stop, delete — nothing left behind', async () => {
    const { connection, session, scmr } = await scmrTo(peer);
    try {
      assert.equal(session.encrypted, true, 'the server requires encryption');
      const admin = await SmbTree.connect(session, peer.address, 'ADMIN$');
      await admin.writeFile('PushInstallAgent.exe', Buffer.alloc(40_000, 0x4d));
      await checkScmAccess(scmr);
      const scm = await scmr.openSCManager();
      const name = uniqueServiceName('task1-target1');
      const installed = await createService(scmr, scm, { name, displayName: 'Push Install Agent', binaryPath: '%SystemRoot%\\PushInstallAgent.exe --console 127.0.0.1:2224' });
      assert.equal(installed.name, name);
      const [service] = await servicesWhen(peer, (all) => all.some((x) => x.name === name));
      assert.equal(service?.name, name);
      assert.equal(service?.binaryPath, '%SystemRoot%\\PushInstallAgent.exe --console 127.0.0.1:2224');
      assert.equal(service?.serviceType, 0x10, 'own process');
      assert.equal(service?.startType, 3, 'demand start');
      assert.equal(service?.errorControl, 0, 'error ignore');

      const running = await startAndWait(scmr, installed.service, name, FAST);
      assert.equal(running.currentState, ServiceState.RUNNING);
      assert.equal((await servicesWhen(peer, (all) => all[0]?.state === 'RUNNING'))[0]?.state, 'RUNNING');

      await stopAndDelete(scmr, installed.service, name, FAST);
      await scmr.closeServiceHandle(scm);
      await admin.delete('PushInstallAgent.exe');
      assert.deepEqual(await servicesWhen(peer, (all) => all.length === 0), [], 'the service is gone');
      assert.deepEqual(fs.readdirSync(peer.samba.shareDir('ADMIN$')), [], 'the agent file is gone');
      const ops = peer.calls().map((c) => c.op);
      for (const op of ['ROpenSCManagerW', 'RCreateServiceW', 'RStartServiceW', 'RQueryServiceStatus', 'RControlService', 'RDeleteService', 'RCloseServiceHandle']) {
        assert.ok(ops.includes(op), `${op} reached the peer`);
      }
    } finally {
      connection.close();
    }
  });

  test('an agent that finishes with its own result stops with it, and start reports the exit code', async () => {
    peer.setConfig({ startCommand: ['sh', '-c', 'exit 3'] });
    const { connection, scmr } = await scmrTo(peer);
    try {
      const scm = await scmr.openSCManager();
      const installed = await createService(scmr, scm, { name: uniqueServiceName('quick'), displayName: 'q', binaryPath: '%SystemRoot%\\q.exe' });
      await scmr.startService(installed.service);
      let status = await scmr.queryServiceStatus(installed.service);
      for (let i = 0; i < 50 && status.currentState !== ServiceState.STOPPED; i++) {
        await new Promise((r) => setTimeout(r, 50));
        status = await scmr.queryServiceStatus(installed.service);
      }
      assert.equal(status.currentState, ServiceState.STOPPED);
      assert.equal(status.win32ExitCode, 1066, 'ERROR_SERVICE_SPECIFIC_ERROR');
      assert.equal(status.serviceSpecificExitCode, 3);
      await stopAndDelete(scmr, installed.service, installed.name, FAST);
      await scmr.closeServiceHandle(scm);
      assert.deepEqual(await servicesWhen(peer, (all) => all.length === 0), []);
    } finally {
      connection.close();
      peer.setConfig({ startCommand: ['sh', '-c', 'sleep 30'] });
    }
  });

  test('ERROR_SERVICE_EXISTS: the leftover of an earlier run is stopped and deleted, then the service is created', async () => {
    const { connection, scmr } = await scmrTo(peer);
    try {
      const scm = await scmr.openSCManager();
      const name = uniqueServiceName('leftover');
      const first = await createService(scmr, scm, { name, displayName: 'old', binaryPath: '%SystemRoot%\\old.exe' });
      await startAndWait(scmr, first.service, name, FAST);
      await scmr.closeServiceHandle(first.service);
      const second = await createService(scmr, scm, { name, displayName: 'new', binaryPath: '%SystemRoot%\\new.exe' }, FAST);
      assert.equal(second.name, name);
      const now = await servicesWhen(peer, (all) => all.some((x) => x.name === name && x.binaryPath.endsWith('new.exe')));
      assert.equal(now.find((x) => x.name === name)?.binaryPath, '%SystemRoot%\\new.exe');
      const results = peer.calls().filter((c) => c.op === 'RCreateServiceW').map((c) => c.result);
      assert.ok(results.includes(1073), 'the peer answered ERROR_SERVICE_EXISTS once');
      await stopAndDelete(scmr, second.service, name, FAST);
      await scmr.closeServiceHandle(scm);
    } finally {
      connection.close();
    }
  });

  test('ERROR_SERVICE_MARKED_FOR_DELETE (a handle still open elsewhere) moves to a new unique name', async () => {
    const { connection, scmr } = await scmrTo(peer);
    try {
      const scm = await scmr.openSCManager();
      const name = uniqueServiceName('marked');
      const first = await createService(scmr, scm, { name, displayName: 'm', binaryPath: '%SystemRoot%\\m.exe' });
      const held = await scmr.openService(scm, name);
      assert.ok(held);
      assert.equal(await scmr.deleteService(first.service), 0);
      await scmr.closeServiceHandle(first.service);
      const second = await createService(scmr, scm, { name, displayName: 'm', binaryPath: '%SystemRoot%\\m.exe' });
      assert.notEqual(second.name, name);
      assert.deepEqual(second.skippedNames, [name]);
      await stopAndDelete(scmr, second.service, second.name, FAST);
      await scmr.closeServiceHandle(held);
      await scmr.closeServiceHandle(scm);
      assert.deepEqual(await servicesWhen(peer, (all) => all.length === 0), [], 'the marked one disappears with its last handle');
    } finally {
      connection.close();
    }
  });

  test('injected faults end in their classes: UAC-filtered access-denied, start timeout 1053, binary missing 2', async () => {
    peer.setConfig({ deny: 'open-scmanager' });
    let client = await scmrTo(peer);
    try {
      const error = await expectClass(checkScmAccess(client.scmr), 'access-denied', 'ERROR_ACCESS_DENIED');
      assert.match(error.advice, /LocalAccountTokenFilterPolicy/);
    } finally {
      client.connection.close();
    }
    for (const [startResult, code, advice] of [[1053, 'ERROR_SERVICE_REQUEST_TIMEOUT', /1053/], [2, 'ERROR_FILE_NOT_FOUND', /antivirus/]] as const) {
      peer.setConfig({ startResult });
      client = await scmrTo(peer);
      try {
        const scm = await client.scmr.openSCManager();
        const installed = await createService(client.scmr, scm, { name: uniqueServiceName('fault'), displayName: 'f', binaryPath: '%SystemRoot%\\f.exe' });
        const error = await expectClass(startAndWait(client.scmr, installed.service, installed.name, FAST), 'service-start', code);
        assert.match(error.advice, advice);
        await stopAndDelete(client.scmr, installed.service, installed.name, FAST);
        await client.scmr.closeServiceHandle(scm);
      } finally {
        client.connection.close();
      }
    }
    peer.setConfig({ startCommand: ['sh', '-c', 'sleep 30'] });
    assert.deepEqual(await servicesWhen(peer, (all) => all.length === 0), []);
  });

  test('fragmentation both ways: a long binary path and a small negotiated fragment size round-trip', async () => {
    peer.setConfig({ startCommand: ['sh', '-c', 'sleep 30'], maxFragment: 48 });
    // Both sides offer tiny fragments: the peer sends no larger than we receive, and vice versa.
    const { connection, scmr } = await scmrTo(peer, 48);
    try {
      const scm = await scmr.openSCManager();
      const binaryPath = `%SystemRoot%\\${'PushInstall\\'.repeat(150)}agent.exe --token ${'a'.repeat(200)}`;
      const installed = await createService(scmr, scm, { name: uniqueServiceName('frag'), displayName: 'Fragmented', binaryPath });
      const stored = await servicesWhen(peer, (all) => all.some((x) => x.name === installed.name));
      assert.equal(stored.find((x) => x.name === installed.name)?.binaryPath, binaryPath);
      const running = await startAndWait(scmr, installed.service, installed.name, FAST);
      assert.equal(running.currentState, ServiceState.RUNNING);
      const create = peer.calls().filter((c) => c.op === 'RCreateServiceW').at(-1);
      assert.ok((create?.fragments ?? 0) > 1, `the request came in ${create?.fragments} fragments`);
      const query = peer.calls().filter((c) => c.op === 'RQueryServiceStatus').at(-1);
      assert.ok((query?.responseFragments ?? 0) > 1, `the response went out in ${query?.responseFragments} fragments`);
      await stopAndDelete(scmr, installed.service, installed.name, FAST);
      await scmr.closeServiceHandle(scm);
    } finally {
      connection.close();
      peer.setConfig({ startCommand: ['sh', '-c', 'sleep 30'] });
    }
  });

  test('two peers on 127.0.0.81 and 127.0.0.82 serve side by side, each with its own services', async (t) => {
    const [a, b] = await Promise.all([startScmrPeer({ address: '127.0.0.81' }), startScmrPeer({ address: '127.0.0.82' })]);
    t.after(async () => {
      await a.stop();
      await b.stop();
    });
    for (const p of [a, b]) {
      const { connection, scmr } = await scmrTo(p);
      try {
        const scm = await scmr.openSCManager();
        await createService(scmr, scm, { name: `PushInstallAgent-${path.basename(p.address)}`, displayName: 'x', binaryPath: 'x.exe' });
      } finally {
        connection.close();
      }
    }
    assert.deepEqual((await servicesWhen(a, (all) => all.length > 0)).map((s) => s.name), ['PushInstallAgent-127.0.0.81']);
    assert.deepEqual((await servicesWhen(b, (all) => all.length > 0)).map((s) => s.name), ['PushInstallAgent-127.0.0.82']);
  });
});
