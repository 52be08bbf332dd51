// ClaimWorker (main/workers/claimWorker.ts) against a real PostgreSQL, without pushes: the
// journal store it gives the engine fences every target write by (worker, claim) — a write after
// the lease was reaped and claimed again changes nothing and aborts that target's push; a settled
// target is released; Cancel (LeaseStore.requestCancel) ends queued targets and asks the owner of
// a held one, whose heartbeat aborts its push; stop() hands back what is still held.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { openPgStore } from '../../main/store/pg/pgDatabase.js';
import { TasksRepo } from '../../main/store/tasksRepo.js';
import { LeaseStore } from '../../main/workers/leases.js';
import { ClaimWorker, type ClaimedEngine } from '../../main/workers/claimWorker.js';
import type { QueueEntry } from '../../main/engine/targetQueue.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';

let server: RunningPostgres;
let databases = 0;
before(async () => {
  server = await startPostgres();
});
after(() => server?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function setUp(t: TestContext, targets: number) {
  const db = await openPgStore({ url: await server.createDatabase(`claim_worker_${++databases}`) });
  t.after(() => db.close());
  db.prepare("INSERT INTO computers (name, created_at) SELECT 'pc-' || g, '2025-01-01T00:00:00.000Z' FROM generate_series(1, CAST(? AS INTEGER)) g").run(targets);
  const tasks = new TasksRepo(db);
  const { taskId, targetIds } = tasks.create({ name: 'push', packageId: null, scheduledAt: null, targets: Array.from({ length: targets }, (_, i) => ({ computerId: i + 1, computerName: `pc-${i + 1}` })) });
  tasks.setTaskStatus(taskId, 'running');
  const leases = new LeaseStore(db);
  const adopted: QueueEntry[] = [];
  const aborted: number[] = [];
  const engine: ClaimedEngine = { adopt: (e) => void adopted.push(...e), abortPush: (id) => void aborted.push(id), activeCount: 0 };
  const lines: string[] = [];
  const worker = new ClaimWorker({ leases, tasks, siteId: null, siteName: 'default', concurrency: () => 2, leaseMs: 60_000, version: 'test', log: (l) => lines.push(l) });
  return { db, tasks, leases, taskId, targetIds, worker, engine, adopted, aborted, lines };
}

test('claims up to its slots; its journal store writes while the lease is held, refuses (and aborts the push) once the target was reaped and claimed again; a done target is released', async (t) => {
  const { db, tasks, leases, targetIds, worker, engine, adopted, aborted } = await setUp(t, 3);
  const hooks = worker.hooks(() => undefined);
  worker.start(engine);
  assert.deepEqual(adopted.map((e) => e.targetId), targetIds.slice(0, 2), 'two slots: two targets');
  const [a, b] = targetIds as [number, number];
  hooks.journalStore.batch([() => hooks.journalStore.updateTarget(a, { state: 'installing' }), () => void hooks.journalStore.appendStep(a, 'start', 'pushing')]);
  assert.equal(tasks.targetRecord(a)?.state, 'installing');
  assert.deepEqual(tasks.log(a).map((s) => s.step), ['claimed', 'start']);

  // The lease of b is taken back behind the worker's back and claimed by another worker.
  db.prepare('UPDATE task_targets SET lease_until = 0 WHERE id = ?').run(b);
  assert.equal(leases.reap(3).requeued, 1);
  assert.equal(leases.claim('other', null, 1, 60_000).find((l) => l.targetId === b)?.claim, 2);
  hooks.journalStore.batch([() => hooks.journalStore.updateTarget(b, { state: 'done', outcome: 'failed' }), () => void hooks.journalStore.appendStep(b, 'done', 'late')]);
  await sleep(20);
  assert.equal(tasks.targetRecord(b)?.outcome, null, 'the late write changed nothing');
  assert.ok(!tasks.log(b).some((s) => s.detail === 'late'));
  assert.deepEqual(aborted, [b], 'its push is stopped');
  assert.equal(hooks.mayRun(b), false);

  // a ends: released when its turn settles; the worker claims again (the third target).
  hooks.journalStore.updateTarget(a, { state: 'done', outcome: 'succeeded' });
  hooks.settled({ targetId: a, taskId: tasks.targetRecord(a)!.task_id });
  assert.equal(db.prepare('SELECT owner FROM task_targets WHERE id = ?').pluck().get(a), null);
  assert.equal(tasks.targetRecord(a)?.outcome, 'succeeded');
  await sleep(20);
  assert.ok(adopted.some((e) => e.targetId === targetIds[2]), 'a freed slot is claimed again');
  await worker.stop(0);
});

test('Cancel: queued targets end cancelled at once, a held one is asked and its worker aborts it at the heartbeat; stop() hands back what is held', async (t) => {
  const { tasks, leases, taskId, targetIds, worker, engine, aborted } = await setUp(t, 3);
  worker.start(engine);
  const [a, b, c] = targetIds as [number, number, number];
  const asked = leases.requestCancel({ taskId });
  assert.deepEqual(asked, { ended: [c], asked: [a, b] });
  assert.equal(tasks.targetRecord(c)?.outcome, 'cancelled');
  worker.beat();
  assert.deepEqual(aborted.sort(), [a, b]);
  assert.equal(await worker.stop(0), 2, 'both held targets handed back');
  assert.equal(tasks.targetRecord(a)?.state, 'queued', 'handed back to the queue');
});
