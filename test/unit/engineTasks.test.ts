// The engine's task bookkeeping with targets that refuse TCP 445 at once (nothing listens on
// 127.0.0.87:9), so every push ends fast in `port-blocked`: schedules (future and missed),
// retry failed, redeploy, cancel of queued targets, the history surviving a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleError } from '../../main/ipc/errors.js';
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

test('a target whose credential was deleted waits for credentials instead of failing; the task stays running until Set Credentials on the task resumes it', async (t) => {
  const fx = await startEngineFixture(t);
  const taskId = fx.runtime.engine.submit({ name: 'nocred', packageId: fx.packageId, targets: [{ computerName: 'X', ...REFUSED, credentialId: null }, { computerName: 'Y', ...REFUSED, credentialId: null }] });
  await new Promise((r) => setTimeout(r, 150));
  const waiting = fx.tasks.targetRecords(taskId);
  assert.deepEqual(waiting.map((r) => [r.state, r.outcome, r.attempts]), [['waiting-for-credentials', null, 0], ['waiting-for-credentials', null, 0]]);
  assert.equal(waiting[0]!.error_class, 'credentials-missing');
  assert.match(waiting[0]!.advice ?? '', /Set Credentials… on the task/);
  assert.ok(fx.tasks.log(waiting[0]!.id).some((s) => s.step === 'credentials' && /waiting for credentials: its credentials were deleted/.test(s.detail)));
  assert.equal(fx.tasks.task(taskId)!.status, 'running', 'the task waits, it has not finished');
  const summary = fx.tasks.list().find((x) => x.id === taskId)!;
  assert.deepEqual([summary.waiting, summary.running, summary.failed], [2, 0, 0]);

  const credentialId = fx.runtime.vault.put('again', 'LAB\\admin', 'pw', { remember: false });
  const result = fx.runtime.engine.rebindCredential({ taskId }, credentialId);
  assert.deepEqual(result, { rebound: 2, resumed: 2, cleaning: 0 });
  await fx.runtime.engine.waitForTask(taskId);
  const ended = fx.tasks.targetRecords(taskId);
  // They ran with the new credential: nothing listens there, so they end port-blocked.
  assert.deepEqual(ended.map((r) => [r.credential_id, r.outcome, r.error_class, r.attempts]), ended.map(() => [credentialId, 'failed', 'port-blocked', 1]));
  assert.ok(fx.tasks.log(ended[0]!.id).some((s) => s.step === 'credentials' && /credentials set again: LAB\\admin/.test(s.detail)));
  assert.equal(fx.tasks.task(taskId)!.status, 'finished');
});

test('Cancel Task ends targets waiting for credentials as cancelled, and the task as cancelled', async (t) => {
  const fx = await startEngineFixture(t);
  const taskId = fx.runtime.engine.submit({ name: 'nocred', packageId: fx.packageId, targets: [{ computerName: 'X', ...REFUSED, credentialId: null }, { computerName: 'Y', ...REFUSED, credentialId: null }] });
  await new Promise((r) => setTimeout(r, 150));
  const [first] = fx.tasks.targetRecords(taskId);
  fx.runtime.engine.cancelTarget(first!.id);
  assert.equal(fx.tasks.targetRecord(first!.id)!.outcome, 'cancelled', 'Cancel Computer ends one waiting target');
  fx.runtime.engine.cancelTask(taskId);
  await fx.runtime.engine.waitForTask(taskId);
  assert.deepEqual(fx.tasks.targetRecords(taskId).map((r) => [r.state, r.outcome]), [['done', 'cancelled'], ['done', 'cancelled']]);
  assert.equal(fx.tasks.task(taskId)!.status, 'cancelled');
});

test('after a restart that lost a credential kept in memory, queued targets wait, Retry failed and Redeploy refuse to start without it, and both use the credential set again', async (t) => {
  const fx = await startEngineFixture(t, { settings: { maxConcurrentPushes: 1 } });
  const credentialId = fx.runtime.vault.put('mem', 'LAB\\admin', 'pw', { remember: false });
  const first = fx.runtime.engine.submit({ name: 'first', packageId: fx.packageId, targets: [{ computerName: 'A', ...REFUSED, credentialId }] });
  await fx.runtime.engine.waitForTask(first);
  const later = fx.runtime.engine.submit({ name: 'later', packageId: fx.packageId, scheduledAt: new Date(Date.now() + 60_000).toISOString(), targets: [{ computerName: 'B', ...REFUSED, credentialId }] });
  await fx.runtime.close({ abandon: true });
  fx.db.prepare('UPDATE tasks SET scheduled_at = ? WHERE id = ?').run(new Date(Date.now() - 1000).toISOString(), later);

  const runtime = await fx.restart({ forgetSecrets: true });
  runtime.engine.start();
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(fx.tasks.targetRecords(later)[0]!.state, 'waiting-for-credentials', 'a scheduled task whose credential is gone at its time waits');
  for (const retry of [() => runtime.engine.retryFailed(first), () => runtime.engine.redeploy(first)]) {
    assert.throws(retry, (e: unknown) => e instanceof ConsoleError && e.errorClass === 'credentials-missing' && /Set Credentials/.test(e.advice));
  }
  assert.equal(fx.tasks.list().length, 2, 'nothing was started');

  const again = runtime.vault.put('again', 'LAB\\admin', 'pw', { remember: false });
  assert.deepEqual(runtime.engine.rebindCredential({ taskId: first }, again), { rebound: 1, resumed: 0, cleaning: 0 });
  const retry = runtime.engine.retryFailed(first)!;
  assert.equal(fx.tasks.targetRecords(retry)[0]!.credential_id, again, 'Retry failed copies the credential set again');
  await runtime.engine.waitForTask(retry);
  assert.equal(fx.tasks.targetRecords(retry)[0]!.error_class, 'port-blocked', 'and it ran');
  runtime.engine.rebindCredential({ targetIds: [fx.tasks.targetRecords(later)[0]!.id] }, again);
  await runtime.engine.waitForTask(later);
  assert.equal(fx.tasks.targetRecords(later)[0]!.error_class, 'port-blocked');
});

test('Set Credentials on computers rebinds only what needs a credential: targets whose credential is gone and that failed, wait or left something — never a clean success', async (t) => {
  const fx = await startEngineFixture(t);
  const computerIds = ['PC-A', 'PC-B'].map((name) => Number(fx.db.prepare("INSERT INTO computers (name, created_at) VALUES (?, '2026-01-01T00:00:00Z')").run(name).lastInsertRowid));
  const credentialId = fx.runtime.vault.put('mem', 'LAB\\admin', 'pw', { remember: false });
  const taskId = fx.runtime.engine.submit({ name: 'two', packageId: fx.packageId, targets: computerIds.map((id, i) => ({ computerId: id, computerName: `PC-${'AB'[i]}`, ...REFUSED, credentialId })) });
  await fx.runtime.engine.waitForTask(taskId);
  const [a, b] = fx.tasks.targetRecords(taskId);
  fx.db.prepare("UPDATE task_targets SET outcome = 'succeeded', error_class = NULL WHERE id = ?").run(a!.id);
  await fx.runtime.close({ abandon: true });
  const runtime = await fx.restart({ forgetSecrets: true });
  runtime.engine.start();
  const again = runtime.vault.put('again', 'LAB\\admin', 'pw', { remember: false });
  assert.deepEqual(runtime.engine.rebindCredential({ computerIds }, again), { rebound: 1, resumed: 0, cleaning: 0 });
  assert.equal(fx.tasks.targetRecord(a!.id)!.credential_id, credentialId, 'the clean success keeps its history');
  assert.equal(fx.tasks.targetRecord(b!.id)!.credential_id, again, 'the failed one can be retried with the new credential');
  assert.ok(!fx.tasks.log(a!.id).some((s) => s.step === 'credentials'));
});
