// The reboot policy against the simulated lab, whose hosts restart like Windows does (down for a
// while: connections dropped and refused, then back; services stay registered, running agents
// end): 3010 hosts under each policy end restarted with "back online after N min" and nothing left
// behind, a host that never comes back ends restart-not-back, Restart Computers… restarts the
// earlier reboot-required computers, and Cancel Restart aborts a pending restart (no restart
// happens, the agent is removed). Addresses 127.0.202.x.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab, type LabOptions } from '../../main/lab/lab.js';
import type { RebootPolicy } from '../../main/ipc/contract.js';
import type { TaskOptions } from '../../main/engine/engineTypes.js';
import path from 'node:path';
import type { JsonTarget } from '../../main/cli/push.js';
import { REPO_ROOT, runCaptured } from '../support/childProcess.js';
import { startEngineFixture, type EngineFixture } from '../support/engineFixture.js';
import { makeTempDir, removeDir } from '../support/tempDir.js';

const TIMEOUTS = {
  connectMs: 1500, agentCallbackMs: 8000, pollMs: 100, serviceStartMs: 5000, autoFallbackMs: 3000,
  // The follower's bounds, shortened: status every 200 ms, probes every 200 ms, not back after 4 s, not restarted 3 s after the latest time.
  restart: { pollMs: 200, probeMs: 200, notBackMs: 4000, notDoneMs: 3000 },
};
const policy = (p: RebootPolicy['policy'], graceMinutes = 0, forceAfterMinutes = 60): RebootPolicy => ({ policy: p, graceMinutes, forceAfterMinutes, message: '' });

async function labOf(t: Parameters<typeof startEngineFixture>[0], first: string, port: number, options: Partial<LabOptions> = {}): Promise<Lab> {
  // One policy second lasts 100 ms on these hosts: the console's 15 s of notice pass in 1.5 s.
  const lab = await startLab({ hosts: 2, first, port, profile: 'reboot-required', installTimeMs: 50, startTimeoutMs: 300, restartDownMs: 1000, restartSecondMs: 100, ...options });
  t.after(() => lab.close());
  return lab;
}

async function push(t: Parameters<typeof startEngineFixture>[0], lab: Lab, options: TaskOptions, fx?: EngineFixture): Promise<{ fx: EngineFixture; taskId: number }> {
  fx ??= await startEngineFixture(t, { timeouts: TIMEOUTS });
  const credentialId = fx.runtime.vault.put('lab', `LAB\\${lab.account.user}`, lab.account.password);
  const taskId = fx.runtime.engine.submit({
    name: 'restart push',
    packageId: fx.packageId,
    options,
    targets: lab.hosts.map((h) => ({ computerName: h.config.name, address: h.config.address, port: h.config.port, credentialId })),
  });
  await fx.runtime.engine.waitForTask(taskId);
  return { fx, taskId };
}

function describeRows(fx: EngineFixture, taskId: number): string {
  return fx.tasks.targetRecords(taskId).map((r) => `${r.computer_name}: ${r.outcome}/${r.restart_state} ${r.restart_detail}\n  ${fx.tasks.log(r.id).map((s) => `${s.step}: ${s.detail}`).join('\n  ')}`).join('\n');
}

for (const [name, reboot, extra] of [
  ['now', policy('now'), {}],
  ['when-idle with nobody logged on', policy('when-idle'), {}],
  ['ask, the user answering yes', policy('ask', 0, 60), { userLoggedOn: true, restartAnswer: 'yes' as const }],
] as const) {
  test(`policy ${name}: both 3010 hosts restart, come back, end "restarted" with the time they were down, and the agent is removed afterwards`, { timeout: 60_000 }, async (t) => {
    const base = name.startsWith('now') ? 1 : name.startsWith('when') ? 11 : 21;
    const lab = await labOf(t, `127.0.202.${base}`, 14700, extra);
    const { fx, taskId } = await push(t, lab, { runAs: 'system', transport: 'callback', reboot });
    const scheduled = fx.tasks.targetRecords(taskId);
    assert.deepEqual(scheduled.map((r) => [r.outcome, r.restart_state]), scheduled.map(() => ['succeeded-reboot-required', 'scheduled']), describeRows(fx, taskId));
    assert.ok(scheduled.every((r) => r.leftovers !== null), 'the agent is still there while it waits for the restart');
    await fx.runtime.engine.waitForRestarts(taskId);
    const rows = fx.tasks.targetRecords(taskId);
    assert.deepEqual(rows.map((r) => r.restart_state), ['restarted', 'restarted'], describeRows(fx, taskId));
    for (const r of rows) {
      assert.match(r.restart_detail ?? '', /back online after \d+ min \(down at \d\d:\d\d UTC\)/);
      assert.equal(r.leftovers, null, 'removed once the computer was back');
      assert.ok(fx.tasks.log(r.id).some((s) => s.step === 'restart' && /restarting: the computer went down/.test(s.detail)));
    }
    assert.equal(lab.restarts, 2);
    assert.deepEqual(lab.leftovers(), []);
  });
}

test('a host that never comes back ends restart-not-back with advice; the outcome stays succeeded, reboot required', { timeout: 60_000 }, async (t) => {
  const lab = await labOf(t, '127.0.202.31', 14700, { hosts: 1, profile: 'never-back' });
  const { fx, taskId } = await push(t, lab, { runAs: 'system', transport: 'callback', reboot: policy('now') });
  await fx.runtime.engine.waitForRestarts(taskId);
  const [row] = fx.tasks.targetRecords(taskId);
  assert.equal(row!.outcome, 'succeeded-reboot-required');
  assert.equal(row!.restart_state, 'not-back', describeRows(fx, taskId));
  assert.equal(row!.error_class, 'restart-not-back');
  assert.match(row!.restart_detail ?? '', /not back \d+ min after it went down/);
  assert.match(row!.advice ?? '', /stuck in updates|BitLocker/);
  assert.notEqual(row!.leftovers, null, 'what could not be removed stays listed for Remove Leftovers');
});

test('policy none reports "reboot required"; Restart Computers… then restarts exactly those computers with the action restart (no msiexec)', { timeout: 60_000 }, async (t) => {
  const lab = await labOf(t, '127.0.202.41', 14700);
  const first = await push(t, lab, { runAs: 'system', transport: 'callback' });
  const before = first.fx.tasks.targetRecords(first.taskId);
  assert.ok(before.every((r) => r.outcome === 'succeeded-reboot-required' && r.restart_state !== 'scheduled'), describeRows(first.fx, first.taskId));
  assert.equal(lab.restarts, 0);
  const restartTask = first.fx.runtime.engine.restartComputers(first.taskId, policy('now'));
  assert.ok(restartTask !== null);
  await first.fx.runtime.engine.waitForTask(restartTask);
  await first.fx.runtime.engine.waitForRestarts(restartTask);
  const rows = first.fx.tasks.targetRecords(restartTask);
  assert.deepEqual(rows.map((r) => [r.outcome, r.restart_state]), rows.map(() => ['succeeded', 'restarted']), describeRows(first.fx, restartTask));
  assert.ok(rows.every((r) => first.fx.tasks.log(r.id).some((s) => s.step === 'start' && /^restart \(no msiexec\)/.test(s.detail))));
  assert.equal(first.fx.tasks.list().find((x) => x.id === restartTask)!.action, 'restart', 'History lists it as a Restart task');
  assert.equal(lab.restarts, 2);
  assert.equal(first.fx.runtime.engine.restartComputers(restartTask, policy('now')), null, 'nothing left to restart');
  assert.deepEqual(lab.leftovers(), []);
});

test('Cancel Restart while the user keeps postponing: the agent aborts the pending restart, no restart happens, the agent is removed', { timeout: 60_000 }, async (t) => {
  const lab = await labOf(t, '127.0.202.51', 14700, { hosts: 1, userLoggedOn: true, restartAnswer: 'no' });
  const { fx, taskId } = await push(t, lab, { runAs: 'system', transport: 'callback', reboot: policy('ask', 1, 60) });
  const [row] = fx.tasks.targetRecords(taskId);
  assert.equal(row!.restart_state, 'scheduled', describeRows(fx, taskId));
  assert.equal(await fx.runtime.engine.cancelRestart(row!.id), true);
  await fx.runtime.engine.cleanupsSettled();
  const after = fx.tasks.targetRecord(row!.id)!;
  assert.equal(after.restart_state, 'cancelled');
  assert.equal(after.leftovers, null);
  assert.equal(lab.restarts, 0, 'the computer did not restart');
  assert.deepEqual(lab.leftovers(), []);
  assert.equal(await fx.runtime.engine.cancelRestart(row!.id), false, 'nothing pending any more');
});

test('smb transport: the restart is scheduled and followed the same way (the result file carries it)', { timeout: 60_000 }, async (t) => {
  const lab = await labOf(t, '127.0.202.61', 14700, { hosts: 1 });
  const { fx, taskId } = await push(t, lab, { runAs: 'system', transport: 'smb', reboot: policy('now') });
  await fx.runtime.engine.waitForRestarts(taskId);
  const [row] = fx.tasks.targetRecords(taskId);
  assert.equal(row!.restart_state, 'restarted', describeRows(fx, taskId));
  assert.deepEqual(lab.leftovers(), []);
});

test('pushctl push --reboot now follows the restart to its end: --json says restarted, and nothing is left on the computer', { timeout: 120_000 }, async (t) => {
  const lab = await labOf(t, '127.0.202.71', 14700, { hosts: 1 });
  const data = makeTempDir('pic-cli-restart-');
  t.after(() => removeDir(data));
  const env = { ...process.env, PUSHCONSOLE_KEYCHAIN: 'off', LAB_PW: lab.account.password };
  const h = lab.hosts[0]!.config;
  const pushed = await runCaptured(process.execPath, [
    '--import', 'tsx', 'main/cli/entry.ts', '--data', data, 'push', `${h.address}:${h.port}`, '--msi', path.join(REPO_ROOT, 'assets', 'demo', 'PushInstallDemo.msi'),
    '--user', `LAB\\${lab.account.user}`, '--password-env', 'LAB_PW', '--as', 'system', '--reboot', 'now', '--reboot-grace', '0', '--port', '0', '--callback', '127.0.0.1', '--json',
  ], env, 110_000);
  assert.equal(pushed.status, 0, pushed.stderr);
  const [target] = (JSON.parse(pushed.stdout) as { targets: JsonTarget[] }).targets;
  assert.equal(target!.outcome, 'succeeded-reboot-required');
  assert.equal(target!.restart, 'restarted', JSON.stringify(target));
  assert.match(target!.restartDetail ?? '', /back online after/);
  assert.equal(lab.restarts, 1);
  assert.deepEqual(lab.leftovers(), []);
});

test('ask, the user postponing every time: Windows forces the restart at the limit, and History says the user postponed it', { timeout: 60_000 }, async (t) => {
  // One policy second lasts 10 ms on this host: the one-minute limit passes in 0.6 s.
  const lab = await labOf(t, '127.0.202.81', 14700, { hosts: 1, userLoggedOn: true, restartAnswer: 'no', restartSecondMs: 10 });
  const { fx, taskId } = await push(t, lab, { runAs: 'system', transport: 'callback', reboot: policy('ask', 1, 1) });
  await fx.runtime.engine.waitForRestarts(taskId);
  const [row] = fx.tasks.targetRecords(taskId);
  assert.equal(row!.restart_state, 'restarted', describeRows(fx, taskId));
  assert.match(row!.restart_detail ?? '', /forced at the limit after the user postponed it/);
  assert.deepEqual(lab.leftovers(), []);
});

test('a console stopped while a restart is pending follows it again at its next start: the computer restarts, is seen back, and the agent is removed', { timeout: 90_000 }, async (t) => {
  const lab = await labOf(t, '127.0.202.91', 14700, { hosts: 1 });
  const { fx, taskId } = await push(t, lab, { runAs: 'system', transport: 'callback', reboot: policy('now') });
  const [row] = fx.tasks.targetRecords(taskId);
  assert.equal(row!.restart_state, 'scheduled', describeRows(fx, taskId));
  // The console is killed: the follower and its session go with it; the record stays.
  await fx.runtime.close({ abandon: true });
  const runtime = await fx.restart();
  runtime.engine.start();
  assert.equal(runtime.engine.restartsFollowed, 1, 'the pending restart is followed again');
  await runtime.engine.waitForRestarts(taskId);
  const after = fx.tasks.targetRecord(row!.id)!;
  assert.equal(after.restart_state, 'restarted', describeRows(fx, taskId));
  assert.equal(after.leftovers, null);
  assert.equal(lab.restarts, 1);
  assert.deepEqual(lab.leftovers(), []);
});
