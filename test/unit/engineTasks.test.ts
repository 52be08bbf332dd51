// The engine's task bookkeeping with targets that refuse TCP 445 at once (nothing listens on
// 127.0.0.87:9), so every push ends fast in `port-blocked`: schedules (future and missed),
// retry failed, redeploy, cancel of queued targets, the history surviving a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEngineFixture, type EngineFixture } from '../support/engineFixture.js';

const REFUSED = { address: '127.0.0.87', port: 9 };

function targets(fx: EngineFixture, n: number) {
  const credentialId = fx.runtime.vault.put('t', 'LAB\\admin', 'pw');
  return Array.from({ length: n }, (_, i) => ({ computerName: `PC-${i}`, ...REFUSED, credentialId }));
}

test('a task scheduled in the future stays pending until its time, then runs', async (t) => {
  const fx = await startEngineFixture(t);
  const at = new Date(Date.now() + 600).toISOString();
  const taskId = fx.runtime.engine.submit({ name: 'later', packageId: fx.packageId, scheduledAt: at, targets: targets(fx, 1) });
  assert.equal(fx.tasks.task(taskId)!.status, 'pending');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(fx.tasks.targetRecords(taskId)[0]!.state, 'queued', 'nothing ran before the time');
  const t0 = Date.now();
  await fx.runtime.engine.waitForTask(taskId);
  assert.ok(Date.now() - t0 > 200, 'it ran at its time');
  assert.equal(fx.tasks.task(taskId)!.status, 'finished');
  assert.equal(fx.tasks.targetRecords(taskId)[0]!.error_class, 'port-blocked');
});

test('a task whose time passed while the console was closed starts at the next launch and says so in its log', async (t) => {
  const fx = await startEngineFixture(t);
  const at = new Date(Date.now() + 60_000).toISOString();
  const taskId = fx.runtime.engine.submit({ name: 'missed', packageId: fx.packageId, scheduledAt: at, targets: targets(fx, 2) });
  await fx.runtime.close({ abandon: true });
  // The console is "closed" past the scheduled time: the next launch sees the time in the past.
  fx.db.prepare('UPDATE tasks SET scheduled_at = ? WHERE id = ?').run(new Date(Date.now() - 1000).toISOString(), taskId);
  const runtime = await fx.restart();
  const { resumed } = runtime.engine.start();
  assert.equal(resumed, 2);
  await runtime.engine.waitForTask(taskId);
  for (const target of fx.tasks.targetRecords(taskId)) {
    const log = fx.tasks.log(target.id);
    assert.ok(log.some((s) => s.step === 'schedule' && /starts late/.test(s.detail)), 'the log says it started late');
    assert.equal(target.outcome, 'failed');
  }
});

test('retry failed makes a new task with only the failed targets; redeploy with all; the old history stays', async (t) => {
  const fx = await startEngineFixture(t);
  const taskId = fx.runtime.engine.submit({ name: 'first', packageId: fx.packageId, targets: targets(fx, 3) });
  await fx.runtime.engine.waitForTask(taskId);
  fx.db.prepare("UPDATE task_targets SET outcome = 'succeeded', error_class = NULL WHERE id = ?").run(fx.tasks.targetRecords(taskId)[0]!.id);
  const retry = fx.runtime.engine.retryFailed(taskId)!;
  assert.notEqual(retry, taskId);
  assert.deepEqual(fx.tasks.targetRecords(retry).map((r) => r.computer_name), ['PC-1', 'PC-2']);
  await fx.runtime.engine.waitForTask(retry);
  const redeploy = fx.runtime.engine.redeploy(taskId)!;
  assert.equal(fx.tasks.targetRecords(redeploy).length, 3);
  await fx.runtime.engine.waitForTask(redeploy);
  assert.equal(fx.tasks.task(redeploy)!.name, 'Redeploy of first');
  assert.equal(fx.tasks.targetRecords(taskId)[0]!.outcome, 'succeeded', 'the first task\'s history is untouched');
});

test('retry failed and redeploy of an uninstall task keep the action: History lists all three as Uninstall, and the step log says msiexec /x', async (t) => {
  const fx = await startEngineFixture(t);
  const taskId = fx.runtime.engine.submit({ name: 'remove it', packageId: fx.packageId, options: { runAs: 'system', action: 'uninstall' }, targets: targets(fx, 2) });
  await fx.runtime.engine.waitForTask(taskId);
  const retry = fx.runtime.engine.retryFailed(taskId)!;
  await fx.runtime.engine.waitForTask(retry);
  const redeploy = fx.runtime.engine.redeploy(taskId)!;
  await fx.runtime.engine.waitForTask(redeploy);
  const listed = new Map(fx.tasks.list().map((s) => [s.id, s.action]));
  assert.deepEqual([taskId, retry, redeploy].map((id) => listed.get(id)), ['uninstall', 'uninstall', 'uninstall']);
  assert.deepEqual(JSON.parse(fx.tasks.task(redeploy)!.options_json), { runAs: 'system', action: 'uninstall' });
  const start = fx.tasks.log(fx.tasks.targetRecords(retry)[0]!.id).find((s) => s.step === 'start');
  assert.match(start?.detail ?? '', /^uninstall \(msiexec \/x\): push to 127\.0\.0\.87:9/);
  // A task from before the option (no action in its options) is an install.
  const old = fx.runtime.engine.submit({ name: 'old', packageId: fx.packageId, targets: targets(fx, 1) });
  await fx.runtime.engine.waitForTask(old);
  assert.equal(fx.tasks.list().find((s) => s.id === old)!.action, 'install');
});

test('cancelling a task with queued targets ends them cancelled without a push; a target alone can be cancelled', async (t) => {
  const fx = await startEngineFixture(t, { settings: { maxConcurrentPushes: 1 }, timeouts: { retryIntervalMs: 60_000 } });
  // retryCount keeps the first target busy (waiting to retry), so the rest stay queued.
  const taskId = fx.runtime.engine.submit({ name: 'cancel', packageId: fx.packageId, options: { retryCount: 1 }, targets: targets(fx, 4) });
  const rows = fx.tasks.targetRecords(taskId);
  fx.runtime.engine.cancelTarget(rows[3]!.id);
  fx.runtime.engine.flush();
  assert.equal(fx.tasks.targetRecord(rows[3]!.id)!.outcome, 'cancelled');
  fx.runtime.engine.cancelTask(taskId);
  await fx.runtime.engine.waitForTask(taskId);
  const after = fx.tasks.targetRecords(taskId);
  assert.ok(after.every((r) => r.state === 'done'));
  assert.ok(after.slice(1).every((r) => r.outcome === 'cancelled'), after.map((r) => r.outcome).join(','));
  assert.ok(after.slice(2).every((r) => r.attempts === 0), 'queued targets never ran');
  assert.equal(fx.tasks.task(taskId)!.status, 'cancelled');
});

test('a target without available credentials fails credentials-missing with advice, and the task still finishes', async (t) => {
  const fx = await startEngineFixture(t);
  const taskId = fx.runtime.engine.submit({ name: 'nocred', packageId: fx.packageId, targets: [{ computerName: 'X', ...REFUSED, credentialId: null }] });
  await fx.runtime.engine.waitForTask(taskId);
  const [row] = fx.tasks.targetRecords(taskId);
  assert.equal(row!.error_class, 'credentials-missing');
  assert.match(row!.advice ?? '', /Set Credentials/);
});
