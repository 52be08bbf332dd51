// The renderer's Installation History store: progress events for 5 000 targets are applied in
// one batch (one array copy per task, one store update), the latest event per target wins, other
// tasks keep their arrays (so their grids do not re-render), and the time it takes is printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskTarget } from '../../main/ipc/contract.js';
import { applyProgress, useConsole, type ProgressEvent } from '../../renderer/state/store.js';

function targets(taskId: number, n: number, firstId: number): TaskTarget[] {
  return Array.from({ length: n }, (_, i) => ({
    id: firstId + i, taskId, computerName: `PC-${i}`, state: 'queued', outcome: null, errorClass: null, errorCode: null, progress: null,
    startedAt: null, finishedAt: null, errorMessage: null, advice: null, exitCode: null, rebootRequired: false, leftovers: null, attempts: 0, queuePosition: i + 1, credentialId: null, transport: null, authMechanism: null, restart: null, restartAt: null, restartDetail: null,
  }));
}

test('a batch applies the latest event per target and leaves other tasks\' arrays untouched', () => {
  const other = targets(2, 3, 100).map((t) => ({ ...t, state: 'installing' as const, queuePosition: null }));
  const before = { 1: targets(1, 3, 1), 2: other };
  const events: ProgressEvent[] = [
    { taskId: 1, targetId: 2, state: 'copying', outcome: null, progress: 10 },
    { taskId: 1, targetId: 2, state: 'copying', outcome: null, progress: 55 },
    { taskId: 1, targetId: 3, state: 'done', outcome: 'failed', progress: null },
    { taskId: 9, targetId: 999, state: 'probing', outcome: null, progress: null },
  ];
  const after = applyProgress(before, events);
  assert.equal(after[2], other, 'untouched task keeps its array');
  assert.equal(after[1]![0], before[1][0], 'untouched target keeps its object');
  assert.deepEqual([after[1]![1]!.state, after[1]![1]!.progress, after[1]![1]!.queuePosition], ['copying', 55, null]);
  assert.deepEqual([after[1]![2]!.state, after[1]![2]!.outcome], ['done', 'failed']);
  assert.equal(applyProgress(before, [events[3]!]), before, 'events of tasks not loaded change nothing');
});

test('5 000 targets: 20 batches of 5 000 progress events each apply within 50 ms per batch (figure printed)', () => {
  useConsole.getState().targetsLoaded(1, targets(1, 5000, 1));
  let renders = 0;
  const unsubscribe = useConsole.subscribe(() => (renders += 1));
  const states = ['probing', 'connecting', 'authenticating', 'copying', 'starting', 'waiting-for-agent', 'downloading', 'installing'] as const;
  const times: number[] = [];
  for (let round = 0; round < 20; round++) {
    const batch: ProgressEvent[] = Array.from({ length: 5000 }, (_, i) => ({
      taskId: 1, targetId: i + 1, state: states[(round + i) % states.length]!, outcome: null, progress: (round * 5) % 100,
    }));
    const t0 = performance.now();
    useConsole.getState().targetsProgressed(batch);
    times.push(performance.now() - t0);
  }
  unsubscribe();
  assert.equal(renders, 20, 'one store update per batch');
  const last = useConsole.getState().targetsByTask[1]!;
  assert.equal(last[4999]!.state, states[(19 + 4999) % states.length]);
  times.sort((a, b) => a - b);
  const p95 = times[Math.floor(times.length * 0.95) - 1]!;
  console.log(`applying 5 000 progress events: median ${times[10]!.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, max ${times[19]!.toFixed(2)} ms`);
  assert.ok(p95 < 50, `p95 ${p95} ms`);
});

test('targets leaving the queue move everyone behind them forward, across tasks', () => {
  const a = targets(1, 5, 1); // positions 1..5
  const b = targets(2, 3, 10).map((t, i) => ({ ...t, queuePosition: 6 + i })); // positions 6..8
  const after = applyProgress({ 1: a, 2: b }, [
    { taskId: 1, targetId: 1, state: 'probing', outcome: null, progress: null },
    { taskId: 2, targetId: 10, state: 'connecting', outcome: null, progress: null },
  ]);
  assert.deepEqual(after[1]!.map((t) => t.queuePosition), [null, 1, 2, 3, 4]);
  assert.deepEqual(after[2]!.map((t) => t.queuePosition), [null, 5, 6]);
});

test('reloaded targets merge by id into the loaded list', () => {
  const list = targets(1, 3, 1);
  useConsole.getState().targetsLoaded(7, list);
  useConsole.getState().targetsUpdated(7, [{ ...list[1]!, state: 'done', outcome: 'failed', errorClass: 'port-blocked', advice: 'Open TCP 445.' }]);
  const merged = useConsole.getState().targetsByTask[7]!;
  assert.equal(merged[0], list[0]);
  assert.deepEqual([merged[1]!.errorClass, merged[1]!.advice], ['port-blocked', 'Open TCP 445.']);
});
