// The push engine through real peers: Samba's smbd serves ADMIN$ (SMB 3.1.1, signing
// and encryption required) and the impacket svcctl peer plays the Service Control Manager, whose
// "service" is a shell command the test chooses. These cases prove the engine's orchestration:
// classification, the step log, cancel, crash recovery, retries, the concurrency limit — and that
// cleanup always leaves the target's ADMIN$ and service table empty. (A successful install needs
// an agent: the Wine test and the simulated lab prove those paths.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { REPO_ROOT } from '../support/childProcess.js';
import { tempDirFor } from '../support/tempDir.js';
import { startScmrPeer, type ScmrPeer } from '../support/scmrPeer.js';
import { startEngineFixture, type EngineFixture } from '../support/engineFixture.js';

async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function adminShareFiles(peer: ScmrPeer): string[] {
  const root = peer.samba.shareDir('ADMIN$');
  return fs.readdirSync(root, { recursive: true }).map(String);
}

async function clean(peer: ScmrPeer): Promise<void> {
  await until('the peer to show no service', () => peer.services().length === 0 || null, 5000).catch(() => undefined);
  assert.deepEqual(peer.services().map((s) => s.name), [], 'no service left on the target');
  assert.deepEqual(adminShareFiles(peer), [], 'nothing left on ADMIN$');
}

describe('push engine against Samba + the impacket SCM peer', () => {
  let peer: ScmrPeer;
  before(async () => {
    peer = await startScmrPeer({ address: '127.0.0.84', config: { startCommand: ['sh', '-c', 'sleep 60'] } });
  });
  after(() => peer?.stop());

  function target(fx: EngineFixture, password = peer.users[0]!.password, name = 'PEER84') {
    const credentialId = fx.runtime.vault.put('test', peer.users[0]!.name, password);
    return { computerName: name, address: peer.address, port: peer.port, credentialId };
  }

  test('an agent that never calls back ends agent-no-callback at the bound, with the service stopped and deleted and ADMIN$ empty', async (t) => {
    peer.setConfig({ startCommand: ['sh', '-c', 'sleep 60'] });
    const fx = await startEngineFixture(t, { timeouts: { agentCallbackMs: 2500 } });
    const taskId = fx.runtime.engine.submit({ name: 'no callback', packageId: fx.packageId, targets: [target(fx)] });
    await fx.runtime.engine.waitForTask(taskId);
    const [row] = fx.tasks.targetRecords(taskId);
    assert.equal(row!.outcome, 'failed');
    assert.equal(row!.error_class, 'agent-no-callback');
    assert.match(row!.advice ?? '', /2224/);
    assert.equal(row!.leftovers, null);
    const steps = fx.tasks.log(row!.id).map((s) => s.step);
    for (const step of ['start', 'probe', 'logon', 'copy', 'job', 'service', 'error', 'cleanup', 'done']) assert.ok(steps.includes(step), `step ${step} logged: ${steps.join(',')}`);
    assert.equal(fx.tasks.task(taskId)!.status, 'finished');
    await clean(peer);
    const ops = peer.calls().map((c) => c.op);
    assert.ok(ops.includes('RControlService') && ops.includes('RDeleteService'), 'the engine stopped and deleted the service');
  });

  test('an agent that exits with its result code is classified by it (13 → integrity), and cleaned up', async (t) => {
    peer.setConfig({ startCommand: ['sh', '-c', 'sleep 0.3; exit 13'] });
    const fx = await startEngineFixture(t, { timeouts: { agentCallbackMs: 20_000 } });
    const taskId = fx.runtime.engine.submit({ name: 'integrity', packageId: fx.packageId, targets: [target(fx)] });
    await fx.runtime.engine.waitForTask(taskId);
    const [row] = fx.tasks.targetRecords(taskId);
    assert.equal(row!.error_class, 'integrity');
    assert.equal(row!.error_code, 'AGENT 13');
    await clean(peer);
  });

  test('a wrong password is logon-failure and creates nothing', async (t) => {
    const fx = await startEngineFixture(t);
    const before = peer.calls().length;
    const taskId = fx.runtime.engine.submit({ name: 'bad password', packageId: fx.packageId, targets: [target(fx, 'not-the-password')] });
    await fx.runtime.engine.waitForTask(taskId);
    const [row] = fx.tasks.targetRecords(taskId);
    assert.equal(row!.error_class, 'logon-failure');
    assert.equal(row!.error_code, 'STATUS_LOGON_FAILURE');
    assert.equal(peer.calls().length, before, 'no SCM call was made');
    await clean(peer);
  });

  test('the SCM refusing CreateService is access-denied with the UAC hint, and the copied files are removed', async (t) => {
    peer.setConfig({ deny: 'create-service' });
    const fx = await startEngineFixture(t);
    const taskId = fx.runtime.engine.submit({ name: 'denied', packageId: fx.packageId, targets: [target(fx)] });
    await fx.runtime.engine.waitForTask(taskId);
    const [row] = fx.tasks.targetRecords(taskId);
    assert.equal(row!.error_class, 'access-denied');
    assert.match(row!.advice ?? '', /LocalAccountTokenFilterPolicy/);
    await clean(peer);
  });

  test('a start that times out (1053) is service-start, and the service is deleted', async (t) => {
    peer.setConfig({ startResult: 1053 });
    const fx = await startEngineFixture(t);
    const taskId = fx.runtime.engine.submit({ name: '1053', packageId: fx.packageId, targets: [target(fx)] });
    await fx.runtime.engine.waitForTask(taskId);
    const [row] = fx.tasks.targetRecords(taskId);
    assert.equal(row!.error_class, 'service-start');
    assert.equal(row!.error_code, 'ERROR_SERVICE_REQUEST_TIMEOUT');
    await clean(peer);
  });

  test('cancelling a running push stops the agent service and cleans up; the target ends cancelled', async (t) => {
    peer.setConfig({ startCommand: ['sh', '-c', 'sleep 60'] });
    const fx = await startEngineFixture(t, { timeouts: { agentCallbackMs: 60_000 } });
    const taskId = fx.runtime.engine.submit({ name: 'cancel', packageId: fx.packageId, targets: [target(fx)] });
    const [row] = fx.tasks.targetRecords(taskId);
    await until('the service to run', () => peer.services().some((s) => s.state === 'RUNNING') || null);
    fx.runtime.engine.cancelTask(taskId);
    await fx.runtime.engine.waitForTask(taskId);
    const done = fx.tasks.targetRecord(row!.id)!;
    assert.equal(done.outcome, 'cancelled');
    assert.equal(fx.tasks.task(taskId)!.status, 'cancelled');
    await clean(peer);
  });

  test('a console killed mid-push: the restart marks the target interrupted with its log intact and removes the service and files', async (t) => {
    peer.setConfig({ startCommand: ['sh', '-c', 'sleep 60'] });
    const fx = await startEngineFixture(t, { timeouts: { agentCallbackMs: 60_000 } });
    const taskId = fx.runtime.engine.submit({ name: 'crash', packageId: fx.packageId, targets: [target(fx)] });
    const [row] = fx.tasks.targetRecords(taskId);
    await until('the service to run', () => peer.services().some((s) => s.state === 'RUNNING') || null);
    await until('the engine to be waiting for the agent', () => fx.tasks.targetRecord(row!.id)!.state === 'waiting-for-agent' || (fx.runtime.engine.flush(), null));
    const stepsBefore = fx.tasks.log(row!.id).length;
    await fx.runtime.close({ abandon: true }); // as if the process died: no cleanup, no final state
    assert.equal(fx.tasks.targetRecord(row!.id)!.state, 'waiting-for-agent');
    assert.equal(peer.services().length, 1, 'the service is still on the target');

    const runtime = await fx.restart();
    const recovered = runtime.engine.start();
    assert.equal(recovered.interrupted, 1);
    const after = fx.tasks.targetRecord(row!.id)!;
    assert.equal(after.outcome, 'interrupted');
    assert.ok(fx.tasks.log(row!.id).length > stepsBefore, 'the log kept every step and says what happened');
    await until('the leftovers to be removed', () => (runtime.engine.flush(), fx.tasks.targetRecord(row!.id)!.leftovers === null) || null, 15_000);
    await clean(peer);
  });

  test('a refused port is port-blocked at once; with a retry count it is tried again and says so', async (t) => {
    const fx = await startEngineFixture(t, { timeouts: { retryIntervalMs: 200 } });
    const credentialId = fx.runtime.vault.put('test', 'x', 'y');
    const t0 = Date.now();
    const taskId = fx.runtime.engine.submit({ name: 'refused', packageId: fx.packageId, options: { retryCount: 1 }, targets: [{ computerName: 'NOBODY', address: '127.0.0.85', port: 9, credentialId }] });
    await fx.runtime.engine.waitForTask(taskId);
    const [row] = fx.tasks.targetRecords(taskId);
    assert.equal(row!.error_class, 'port-blocked');
    assert.equal(row!.attempts, 2);
    assert.ok(fx.tasks.log(row!.id).some((s) => s.step === 'retry'));
    assert.ok(Date.now() - t0 < 3000, 'classified without waiting for a timeout');
  });

  test('five targets with a limit of two: never more than two pushes at once, and every one cleaned up', async (t) => {
    peer.setConfig({ startCommand: ['sh', '-c', 'sleep 0.5; exit 11'] });
    const fx = await startEngineFixture(t, { settings: { maxConcurrentPushes: 2 } });
    const targets = Array.from({ length: 5 }, (_, i) => target(fx, undefined, `PEER84-${i}`));
    let maxSeen = 0;
    const off = fx.events.subscribe(() => {
      maxSeen = Math.max(maxSeen, fx.runtime.engine.activeCount);
    });
    const taskId = fx.runtime.engine.submit({ name: 'five', packageId: fx.packageId, targets });
    assert.ok(fx.runtime.engine.queuePosition(fx.tasks.targetRecords(taskId)[4]!.id) !== null, 'the fifth waits in the queue');
    await fx.runtime.engine.waitForTask(taskId);
    off();
    assert.equal(fx.runtime.engine.peakConcurrent, 2);
    assert.ok(maxSeen <= 2);
    const rows = fx.tasks.targetRecords(taskId);
    assert.deepEqual(rows.map((r) => r.error_class), Array(5).fill('agent-no-callback'));
    await clean(peer);
  });

  test('raising the concurrency limit while a task runs lets more pushes start as soon as it changes', async (t) => {
    peer.setConfig({ startCommand: ['sh', '-c', 'sleep 1; exit 11'] });
    const fx = await startEngineFixture(t, { settings: { maxConcurrentPushes: 1 } });
    const taskId = fx.runtime.engine.submit({ name: 'raise', packageId: fx.packageId, targets: Array.from({ length: 4 }, (_, i) => target(fx, undefined, `PEER84-R${i}`)) });
    await until('the first push to start', () => fx.runtime.engine.activeCount === 1 || null);
    assert.equal(fx.runtime.engine.queuedCount, 3);
    fx.settings.maxConcurrentPushes = 4;
    await fx.runtime.engine.waitForTask(taskId);
    assert.ok(fx.runtime.engine.peakConcurrent >= 3, `peak ${fx.runtime.engine.peakConcurrent}: the new limit took effect when the first slot freed`);
    await clean(peer);
  });

  test('pushctl push --json prints one document with each target\'s outcome and steps, and exits 1 when a target failed', async (t) => {
    peer.setConfig({ startCommand: ['sh', '-c', 'sleep 0.2; exit 12'] });
    const dir = tempDirFor(t, 'pic-pushctl-push-');
    const msi = path.join(dir, 'product.msi');
    fs.writeFileSync(msi, crypto.randomBytes(10_000));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'main/cli/entry.ts', '--data', path.join(dir, 'data'), 'push', `${peer.address}:${peer.port}`, '127.0.0.86:9', '--msi', msi, '--user', peer.users[0]!.name, '--password-env', 'PIC_PUSH_PASSWORD', '--port', '0', '--callback', '127.0.0.1', '--json'],
      { cwd: REPO_ROOT, env: { ...process.env, PIC_PUSH_PASSWORD: peer.users[0]!.password, PUSHCONSOLE_AGENT: msi }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.after(() => child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 1, stderr);
    const doc = JSON.parse(stdout) as { targets: { target: string; outcome: string; errorClass: string; exitCode: number | null; rebootRequired: boolean; durationMs: number; steps: { step: string }[] }[] };
    const [reached, refused] = doc.targets;
    assert.equal(reached!.outcome, 'failed');
    assert.equal(reached!.errorClass, 'agent-certificate');
    assert.ok(reached!.steps.some((s) => s.step === 'cleanup'));
    assert.equal(refused!.errorClass, 'port-blocked');
    assert.equal(typeof refused!.durationMs, 'number');
    assert.ok(!stdout.includes(peer.users[0]!.password), 'the password is not in the output');
    await clean(peer);
  });
});
