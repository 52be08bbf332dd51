// The transports against the simulated lab: auto keeps the callback where it works and moves the
// computers whose agent cannot call back to SMB (saying why in the step log); smb pushes without the
// package server ever started; the package copies respect the copy limit (counted by the lab's own
// SMB servers) and share their disk reads; a full system drive is target-disk-full with the room
// the package needs. Addresses 127.0.197.x–127.0.198.x.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startLab, type Lab } from '../../main/lab/lab.js';
import { expectedOutcome } from '../../main/lab/profiles.js';
import type { AgentTransport } from '../../main/server/agentProtocol.js';
import type { JsonTarget } from '../../main/cli/push.js';
import { REPO_ROOT, runCaptured } from '../support/childProcess.js';
import { startEngineFixture, type EngineFixture, type EngineFixtureOptions } from '../support/engineFixture.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';

const TIMEOUTS = { connectMs: 1500, agentCallbackMs: 8000, pollMs: 100, serviceStartMs: 5000, autoFallbackMs: 3000 };

async function push(t: Parameters<typeof startEngineFixture>[0], lab: Lab, transport: AgentTransport, options: EngineFixtureOptions = {}): Promise<{ fx: EngineFixture; taskId: number }> {
  const fx = await startEngineFixture(t, { timeouts: TIMEOUTS, ...options });
  const credentialId = fx.runtime.vault.put('lab', `LAB\\${lab.account.user}`, lab.account.password);
  const taskId = fx.runtime.engine.submit({
    name: `${transport} push`,
    packageId: fx.packageId,
    options: { runAs: 'system', transport },
    targets: lab.hosts.map((h) => ({ computerName: h.config.name, address: h.config.address, port: h.config.port, credentialId })),
  });
  await fx.runtime.engine.waitForTask(taskId);
  return { fx, taskId };
}

test('auto against every profile: agent-no-callback hosts succeed over SMB with a step saying why, the others keep the callback and their own outcome', { timeout: 120_000 }, async (t) => {
  const lab = await startLab({ hosts: 40, first: '127.0.197.1', port: 14470, profile: 'mixed', installTimeMs: 200, logonFailureDelayMs: 100, startTimeoutMs: 300, seed: 5 });
  t.after(() => lab.close());
  const { fx, taskId } = await push(t, lab, 'auto', { settings: { maxConcurrentPushes: 20 } });
  const rows = fx.tasks.targetRecords(taskId);
  const wrong: string[] = [];
  let noCallback = 0;
  for (const row of rows) {
    const profile = lab.host(row.computer_name)!.config.profile;
    const expected = expectedOutcome(profile, 'install', 'auto');
    if (row.outcome !== expected.outcome || row.error_class !== expected.errorClass) wrong.push(`${row.computer_name} (${profile}): ${row.outcome}/${row.error_class} ${row.error_message}`);
    const steps = fx.tasks.log(row.id);
    const switched = steps.find((s) => s.step === 'transport');
    if (profile === 'agent-no-callback') {
      noCallback++;
      assert.equal(row.transport, 'smb', `${row.computer_name} was carried over SMB`);
      assert.match(switched?.detail ?? '', /could not reach the console|no callback from the agent/, `${row.computer_name} says why it switched`);
      assert.ok(steps.some((s) => s.step === 'copy' && /package copied to ADMIN\$\\PushInstall\\.*\\package\\/.test(s.detail)), 'the package was copied');
    } else {
      assert.equal(switched, undefined, `${row.computer_name} (${profile}) did not switch`);
      if (row.exit_code !== null) assert.equal(row.transport, 'callback', `${row.computer_name} (${profile}) was carried by the callback`);
    }
  }
  assert.deepEqual(wrong, [], wrong.join('\n'));
  assert.ok(noCallback >= 1, 'the mixed lab has agent-no-callback hosts');
  assert.deepEqual(lab.leftovers(), [], 'nothing left: no package folder, manifest, progress or result file, no service');
});

test('callback still fails agent-no-callback hosts with agent-no-callback; smb installs everywhere without the package server ever starting', { timeout: 120_000 }, async (t) => {
  const lab = await startLab({ hosts: 4, first: '127.0.198.1', port: 14471, profile: { mix: { healthy: 50, 'agent-no-callback': 50 } }, installTimeMs: 100, startTimeoutMs: 300, seed: 2 });
  t.after(() => lab.close());
  const callback = await push(t, lab, 'callback', { timeouts: { ...TIMEOUTS, agentCallbackMs: 2500 } });
  for (const row of callback.fx.tasks.targetRecords(callback.taskId)) {
    const profile = lab.host(row.computer_name)!.config.profile;
    assert.equal(row.error_class, expectedOutcome(profile, 'install', 'callback').errorClass, `${row.computer_name} (${profile}) under callback`);
  }
  const smb = await push(t, lab, 'smb', { packageServer: 'when-needed' });
  const rows = smb.fx.tasks.targetRecords(smb.taskId);
  assert.deepEqual(rows.map((r) => [r.outcome, r.transport]), rows.map(() => ['succeeded', 'smb']), rows.map((r) => `${r.computer_name}: ${r.error_message}`).join('\n'));
  assert.equal(smb.fx.runtime.server, null, 'the package server was never started: no TCP port opened for an SMB push');
  const steps = smb.fx.tasks.log(rows[0]!.id);
  assert.ok(steps.some((s) => s.step === 'start' && /transport smb, installing as SYSTEM/.test(s.detail)));
  assert.ok(steps.some((s) => s.step === 'agent-log' && /package file\(s\) verified beside the agent \(SHA-256\)/.test(s.detail)), 'the agent\'s own log says so');
  assert.match(rows[0]!.msi_log ?? '', /MSI \(s\)/, 'the MSI log came back in the result file');
  assert.deepEqual(lab.leftovers(), []);
});

test('a 6 MiB package to 30 hosts with 3 copies at once: the lab never sees more than 3 hosts receiving a copy, reads are shared, every copy is hash-checked by its agent', { timeout: 180_000 }, async (t) => {
  const lab = await startLab({ hosts: 30, first: '127.0.198.11', port: 14472, profile: 'healthy', installTimeMs: 50, startTimeoutMs: 300, adminShareBytes: 32 * 1024 * 1024 });
  t.after(() => lab.close());
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'pic-bigmsi-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const msiPath = path.join(dir, 'big.msi');
  fs.writeFileSync(msiPath, crypto.randomBytes(6 * 1024 * 1024)); // 6 chunks of 1 MiB: more than 3 copies × one chunk
  const { fx, taskId } = await push(t, lab, 'smb', { msiPath, settings: { maxConcurrentPushes: 30, packageCopyConcurrency: 3 } });
  const rows = fx.tasks.targetRecords(taskId);
  assert.deepEqual(rows.filter((r) => r.outcome !== 'succeeded').map((r) => `${r.computer_name}: ${r.error_message}`), []);
  assert.ok(lab.peakPackageCopies <= 3, `the lab saw ${lab.peakPackageCopies} hosts receiving a copy at once`);
  assert.ok(lab.peakPackageCopies >= 2, `the copies ran side by side (${lab.peakPackageCopies})`);
  const stats = fx.runtime.engine.copyStats();
  assert.equal(stats.started, 30);
  assert.ok(stats.peak <= 3);
  assert.ok(stats.diskBytes < stats.servedBytes, `copies shared reads: ${stats.diskBytes} bytes read from disk for ${stats.servedBytes} sent`);
  for (const row of rows) assert.ok(fx.tasks.log(row.id).some((s) => s.step === 'agent-log' && /package file\(s\) verified beside the agent \(SHA-256\)/.test(s.detail)), `${row.computer_name}'s agent checked the copy`);
  assert.ok(rows.some((r) => fx.tasks.log(r.id).some((s) => s.step === 'copy' && /waiting for a package copy slot/.test(s.detail))), 'some pushes waited for a slot, and said so');
  t.diagnostic(`peak copies ${lab.peakPackageCopies}; disk ${(stats.diskBytes / 1048576).toFixed(0)} MiB for ${(stats.servedBytes / 1048576).toFixed(0)} MiB copied`);
});

test('a system drive without room for the package: target-disk-full with the room needed, and nothing left behind', { timeout: 60_000 }, async (t) => {
  const lab = await startLab({ hosts: 1, first: '127.0.198.61', port: 14473, profile: 'healthy', installTimeMs: 50, startTimeoutMs: 300, adminShareBytes: 2 * 1024 * 1024 });
  t.after(() => lab.close());
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'pic-fullmsi-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const msiPath = path.join(dir, 'big.msi');
  fs.writeFileSync(msiPath, crypto.randomBytes(3 * 1024 * 1024));
  const { fx, taskId } = await push(t, lab, 'smb', { msiPath });
  const [row] = fx.tasks.targetRecords(taskId);
  assert.equal(row!.outcome, 'failed');
  assert.equal(row!.error_class, 'target-disk-full');
  assert.equal(row!.error_code, 'STATUS_DISK_FULL');
  assert.match(row!.error_message ?? '', /no room for the package \(3\.0 MB\)/);
  assert.match(row!.advice ?? '', /Free at least 3\.0 MB on the computer's system drive/);
  assert.deepEqual(lab.leftovers(), []);
});

test('pushctl push --transport smb: both computers succeed over SMB (the one whose agent cannot call back too), --json says smb, and no package server is started; a bad --transport is refused', { timeout: 120_000 }, async (t) => {
  const lab = await startLab({ hosts: 2, first: '127.0.198.71', port: 14473, profile: { hosts: { 'LAB-PC-001': 'healthy', 'LAB-PC-002': 'agent-no-callback' } }, installTimeMs: 50, startTimeoutMs: 300 });
  t.after(() => lab.close());
  const data = makeTempDir('pic-cli-smb-');
  t.after(() => removeDir(data));
  const env = { ...process.env, PUSHCONSOLE_KEYCHAIN: 'off', LAB_PW: lab.account.password };
  const pushctl = (args: string[]) => runCaptured(process.execPath, ['--import', 'tsx', 'main/cli/entry.ts', '--data', data, ...args], env, 90_000);
  const hosts = lab.hosts.map((h) => `${h.config.address}:${h.config.port}`);
  const pushed = await pushctl(['push', ...hosts, '--msi', path.join(REPO_ROOT, 'assets', 'demo', 'PushInstallDemo.msi'), '--user', `LAB\\${lab.account.user}`, '--password-env', 'LAB_PW', '--transport', 'smb', '--json']);
  assert.equal(pushed.status, 0, pushed.stderr);
  const report = JSON.parse(pushed.stdout) as { targets: JsonTarget[] };
  assert.deepEqual(report.targets.map((r) => [r.outcome, r.transport]), [['succeeded', 'smb'], ['succeeded', 'smb']]);
  assert.ok(report.targets.every((r) => !r.steps.some((s) => s.step === 'package-server')), 'no package server took part');
  assert.deepEqual(lab.leftovers(), []);
  const refused = await pushctl(['push', hosts[0]!, '--msi', path.join(REPO_ROOT, 'assets', 'demo', 'PushInstallDemo.msi'), '--user', 'u', '--password-env', 'LAB_PW', '--transport', 'ftp']);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /--transport must be auto, callback or smb/);
});

test('a cancel during a slow package copy stops it at the next chunk: cancelled within seconds, nothing left on the computer', { timeout: 60_000 }, async (t) => {
  const lab = await startLab({ hosts: 1, first: '127.0.198.81', port: 14473, profile: 'slow-link', slowLinkBytesPerSec: 256 * 1024, installTimeMs: 50, startTimeoutMs: 300 });
  t.after(() => lab.close());
  const dir = makeTempDir('pic-slowmsi-');
  t.after(() => removeDir(dir));
  const msiPath = path.join(dir, 'big.msi');
  fs.writeFileSync(msiPath, crypto.randomBytes(8 * 1024 * 1024)); // about 32 s at 256 KiB/s
  const fx = await startEngineFixture(t, { timeouts: TIMEOUTS, msiPath });
  const credentialId = fx.runtime.vault.put('lab', `LAB\\${lab.account.user}`, lab.account.password);
  const h = lab.hosts[0]!.config;
  const taskId = fx.runtime.engine.submit({ name: 'slow', packageId: fx.packageId, options: { runAs: 'system', transport: 'smb' }, targets: [{ computerName: h.name, address: h.address, port: h.port, credentialId }] });
  const [target] = fx.tasks.targetRecords(taskId);
  // Wait until the package copy runs (the agent is copied first), then cancel.
  for (let i = 0; i < 200 && !fx.tasks.log(target!.id).some((s) => s.step === 'copy' && /^agent copied/.test(s.detail)); i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  const t0 = Date.now();
  fx.runtime.engine.cancelTask(taskId);
  await fx.runtime.engine.waitForTask(taskId);
  const row = fx.tasks.targetRecord(target!.id)!;
  assert.equal(row.outcome, 'cancelled', `${row.error_class}: ${row.error_message}\n${fx.tasks.log(row.id).map((s) => `${s.step}: ${s.detail}`).join('\n')}`);
  assert.ok(Date.now() - t0 < 10_000, `cancelled after ${Date.now() - t0} ms of a ~32 s copy`);
  assert.ok(!fx.tasks.log(row.id).some((s) => /package copied/.test(s.detail)), 'the package copy did not finish');
  assert.deepEqual(lab.leftovers(), [], fx.tasks.log(row.id).map((s) => `${s.step}: ${s.detail}`).join('\n'));
});

test('an agent that writes no result within the install bound ends result-missing with advice, and its service and files are removed', { timeout: 60_000 }, async (t) => {
  const lab = await startLab({ hosts: 1, first: '127.0.198.91', port: 14473, profile: 'healthy', installTimeMs: 30_000, startTimeoutMs: 300 });
  t.after(() => lab.close());
  const { fx, taskId } = await push(t, lab, 'smb', { timeouts: { ...TIMEOUTS, installMs: 1500 } });
  const [row] = fx.tasks.targetRecords(taskId);
  assert.equal(row!.outcome, 'failed');
  assert.equal(row!.error_class, 'result-missing');
  assert.match(row!.error_message ?? '', /The agent wrote no result within/);
  assert.match(row!.advice ?? '', /stuck msiexec/);
  assert.deepEqual(lab.leftovers(), []);
});
