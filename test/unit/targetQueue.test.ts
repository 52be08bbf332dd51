// The engine's target queue and task completion on their own: how many pushes run at once (read
// again whenever a slot frees), order, cancelling a task's waiting targets, a turn that throws,
// closing with and without abort; and when a task ends (finished or cancelled) and who is told.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TargetQueue, type QueueEntry } from '../../main/engine/targetQueue.js';
import { TaskCompletion } from '../../main/engine/taskCompletion.js';
import { Journal } from '../../main/engine/journal.js';
import { createEventBus } from '../../main/ipc/eventBus.js';
import { openDatabase } from '../../main/store/database.js';
import { TasksRepo } from '../../main/store/tasksRepo.js';

interface Turn {
  readonly entry: QueueEntry;
  readonly signal: AbortSignal;
  end(): void;
  fail(error: Error): void;
}

function harness(concurrency: { value: number }) {
  const turns: Turn[] = [];
  const crashed: { entry: QueueEntry; error: unknown }[] = [];
  const settled: number[] = [];
  const probed: number[] = [];
  const queue = new TargetQueue({
    concurrency: () => concurrency.value,
    run: (entry, signal) =>
      new Promise<void>((resolve, reject) => {
        turns.push({ entry, signal, end: resolve, fail: reject });
        signal.addEventListener('abort', () => resolve());
      }),
    crashed: (entry, error) => crashed.push({ entry, error }),
    settled: (entry) => settled.push(entry.targetId),
    probe: (targetId) => {
      probed.push(targetId);
      return new Promise(() => undefined); // never answers: held until taken or forgotten
    },
  });
  return { queue, turns, crashed, settled, probed };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const entries = (taskId: number, ...ids: number[]) => ids.map((targetId) => ({ targetId, taskId }));

test('the queue runs at most the concurrency at once, in order, and reads the limit again when a slot frees', async () => {
  const limit = { value: 2 };
  const h = harness(limit);
  h.queue.push(entries(1, 10, 11, 12, 13, 14));
  h.queue.pump();
  assert.deepEqual(h.turns.map((t) => t.entry.targetId), [10, 11]);
  assert.equal(h.queue.activeCount, 2);
  assert.equal(h.queue.queuedCount, 3);
  assert.equal(h.queue.position(12), 1, 'the next in line');
  assert.equal(h.queue.position(14), 3);
  assert.equal(h.queue.position(10), null, 'a running target is not in line');
  assert.deepEqual(h.probed.sort(), [12, 13, 14], 'the waiting targets are probed ahead');
  limit.value = 4;
  h.turns[0]!.end();
  await tick();
  await tick();
  assert.deepEqual(h.settled, [10]);
  assert.deepEqual(h.turns.map((t) => t.entry.targetId), [10, 11, 12, 13, 14], 'the raised limit took effect at the freed slot');
  assert.equal(h.queue.peakConcurrent, 4);
  await h.queue.close({ abort: true, wait: true });
});

test('removing a task takes only its waiting targets out of line, in order, and drops their probes', async () => {
  const h = harness({ value: 1 });
  h.queue.push([...entries(1, 10, 11), ...entries(2, 20), ...entries(1, 12), ...entries(2, 21)]);
  h.queue.pump();
  assert.equal(h.queue.probes.held, 4);
  assert.deepEqual(h.queue.removeTask(1), [11, 12], 'the running target 10 is not in line');
  assert.equal(h.queue.probes.held, 2);
  assert.deepEqual([h.queue.position(20), h.queue.position(21)], [1, 2]);
  assert.ok(h.queue.runsTask(1) && !h.queue.runsTask(2));
  assert.deepEqual(h.queue.remove(21), { targetId: 21, taskId: 2 });
  assert.equal(h.queue.remove(21), null, 'not waiting any more');
  h.queue.abortTask(1);
  assert.ok(h.turns[0]!.signal.aborted);
  await tick();
  await tick();
  assert.deepEqual(h.turns.map((t) => t.entry.targetId), [10, 20]);
  await h.queue.close({ abort: true, wait: true });
});

test('positions stay right through thousands of targets pushed, removed one by one or by task, and started (the line is compacted on the way); a target already in line keeps its place', async () => {
  const limit = { value: 0 };
  const h = harness(limit);
  const model: QueueEntry[] = [];
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  let next = 1;
  const removed: number[] = [];
  const check = () => {
    assert.equal(h.queue.queuedCount, model.length);
    for (let i = 0; i < model.length; i += 37) assert.equal(h.queue.position(model[i]!.targetId), i + 1);
    if (model.length) assert.equal(h.queue.position(model.at(-1)!.targetId), model.length);
    for (const id of removed.slice(-20)) assert.equal(h.queue.position(id), null);
  };
  for (let round = 0; round < 40; round++) {
    const batch = entries(1 + rand(3), ...Array.from({ length: 200 + rand(600) }, () => next++));
    h.queue.push(batch);
    model.push(...batch);
    h.queue.push(batch.slice(0, 3));
    for (let k = rand(120); k > 0 && model.length > 0; k--) {
      const [entry] = model.splice(rand(model.length), 1);
      assert.deepEqual(h.queue.remove(entry!.targetId), entry);
      removed.push(entry!.targetId);
    }
    if (round % 9 === 8) {
      const taskId = 1 + rand(3);
      const expected = model.filter((e) => e.taskId === taskId).map((e) => e.targetId);
      assert.deepEqual(h.queue.removeTask(taskId), expected);
      model.splice(0, model.length, ...model.filter((e) => e.taskId !== taskId));
      removed.push(...expected);
    }
    check();
    const before = h.turns.length;
    limit.value += rand(700);
    h.queue.pump();
    const started = h.turns.slice(before).map((turn) => turn.entry.targetId);
    assert.deepEqual(started, model.splice(0, started.length).map((e) => e.targetId), 'started from the head, in order');
    removed.push(...started);
    check();
  }
  await h.queue.close({ abort: true, wait: false });
});

test('a turn that throws is reported as crashed, frees its slot and the next starts', async () => {
  const h = harness({ value: 1 });
  h.queue.push(entries(1, 10, 11));
  h.queue.pump();
  h.turns[0]!.fail(new Error('a bug'));
  await tick();
  await tick();
  assert.equal(h.crashed.length, 1);
  assert.equal((h.crashed[0]!.error as Error).message, 'a bug');
  assert.deepEqual(h.settled, [10]);
  assert.deepEqual(h.turns.map((t) => t.entry.targetId), [10, 11]);
  await h.queue.close({ abort: true, wait: true });
});

test('close with abort stops the pushes under way and waits for them; close without abort starts nothing more and leaves them', async () => {
  const h = harness({ value: 2 });
  h.queue.push(entries(1, 10, 11, 12));
  h.queue.pump();
  await h.queue.close({ abort: true, wait: true });
  assert.ok(h.turns.every((t) => t.signal.aborted));
  assert.equal(h.queue.activeCount, 0);
  assert.equal(h.turns.length, 2, 'nothing started after close');

  const k = harness({ value: 1 });
  k.queue.push(entries(1, 10, 11));
  k.queue.pump();
  await k.queue.close({ abort: false, wait: false });
  assert.equal(k.turns[0]!.signal.aborted, false, 'a kill leaves the push as it is');
  k.turns[0]!.end();
  await tick();
  await tick();
  assert.equal(k.turns.length, 1, 'the next did not start');
});

test('a task ends only when no target is open or running: finished, or cancelled after Cancel Task, and its waiters are told once', async () => {
  const db = openDatabase({ location: ':memory:' });
  const tasks = new TasksRepo(db);
  const lines: string[] = [];
  const journal = new Journal(tasks, createEventBus(), () => new Date(), (line) => lines.push(line));
  let running = true;
  const completion = new TaskCompletion(tasks, journal, () => running);
  const make = () => tasks.create({ name: 't', packageId: null, scheduledAt: null, targets: [{ computerId: null, computerName: 'PC-1' }, { computerId: null, computerName: 'PC-2' }] });
  const a = make();
  tasks.setTaskStatus(a.taskId, 'running');
  completion.begin(a.taskId, a.targetIds);
  let told = 0;
  void completion.wait(a.taskId).then(() => (told += 1));
  for (const id of a.targetIds) tasks.updateTarget(id, { state: 'done', outcome: 'succeeded' });
  completion.targetEnded(a.taskId, a.targetIds[0]!);
  completion.finishIfDone(a.taskId);
  assert.equal(tasks.task(a.taskId)!.status, 'running', 'one target is still open');
  completion.targetEnded(a.taskId, a.targetIds[1]!);
  completion.finishIfDone(a.taskId);
  assert.equal(tasks.task(a.taskId)!.status, 'running', 'a push of the task still runs');
  running = false;
  completion.finishIfDone(a.taskId);
  completion.finishIfDone(a.taskId);
  await tick();
  assert.equal(tasks.task(a.taskId)!.status, 'finished');
  assert.equal(told, 1);
  assert.deepEqual(lines, [`Task ${a.taskId} finished: 2 of 2 succeeded.`]);
  await completion.wait(a.taskId); // an ended task resolves at once

  const b = make();
  tasks.setTaskStatus(b.taskId, 'running');
  completion.begin(b.taskId, []);
  completion.cancel(b.taskId);
  tasks.updateTarget(b.targetIds[0]!, { state: 'done', outcome: 'cancelled' });
  completion.finishIfDone(b.taskId);
  assert.equal(tasks.task(b.taskId)!.status, 'running', 'a target not done in the database keeps the task open');
  tasks.updateTarget(b.targetIds[1]!, { state: 'done', outcome: 'cancelled' });
  completion.finishIfDone(b.taskId);
  assert.equal(tasks.task(b.taskId)!.status, 'cancelled');
  db.close();
});
