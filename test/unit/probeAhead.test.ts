// ProbeAhead's bounds (main/engine/probeAhead.ts): only the window at the queue's head is probed,
// never more than maxActive at once, a probe is handed over once, and old results are not trusted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROBE_FRESH_MS, ProbeAhead, probeIsFresh } from '../../main/engine/probeAhead.js';

test('probes the window at the head of the queue, at most maxActive at once, refilling as probes settle', async () => {
  const release = new Map<number, () => void>();
  const probed: number[] = [];
  const queue = Array.from({ length: 50 }, (_, i) => ({ targetId: i + 1 }));
  const ahead: ProbeAhead = new ProbeAhead({
    probe: (id) => new Promise<void>((resolve) => { probed.push(id); release.set(id, resolve); }),
    window: () => 10,
    maxActive: 4,
    onSettled: () => ahead.fill(queue),
  });
  ahead.fill(queue);
  assert.deepEqual(probed, [1, 2, 3, 4], 'four at once, from the head');
  release.get(2)!();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(probed, [1, 2, 3, 4, 5], 'a settled probe lets the next one start');
  for (const id of [1, 3, 4, 5]) release.get(id)!();
  await new Promise((r) => setImmediate(r));
  for (const id of [6, 7, 8, 9]) release.get(id)!();
  await new Promise((r) => setImmediate(r));
  release.get(10)!();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(probed, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'nothing beyond the window of 10');
  assert.equal(ahead.peakActive, 4);

  const first = ahead.take(1);
  assert.ok(first);
  assert.equal((await first).ok, true);
  assert.equal(ahead.take(1), null, 'handed over once: a retry probes afresh');
  ahead.forget(2);
  assert.equal(ahead.take(2), null);
  assert.equal(ahead.held, 8);
});

test('a failed probe carries its error; answers are trusted 30 s, failures 5 min', async () => {
  const error = new Error('silent');
  const ahead = new ProbeAhead({ probe: () => Promise.reject(error), window: () => 1, maxActive: 1 });
  ahead.fill([{ targetId: 7 }]);
  const outcome = await ahead.take(7)!;
  assert.equal(outcome.ok, false);
  assert.equal(!outcome.ok && outcome.error, error);
  const now = Date.now();
  assert.equal(probeIsFresh({ ok: true, ms: 1, at: now - PROBE_FRESH_MS.answered + 1000 }, now), true);
  assert.equal(probeIsFresh({ ok: true, ms: 1, at: now - PROBE_FRESH_MS.answered - 1 }, now), false);
  assert.equal(probeIsFresh({ ok: false, error, ms: 1, at: now - 60_000 }, now), true);
  assert.equal(probeIsFresh({ ok: false, error, ms: 1, at: now - PROBE_FRESH_MS.failed - 1 }, now), false);
});

test('a target that is not eligible (a LAPS target: nothing reaches its computer before its password is read) is never probed, and has no probe to take', async () => {
  const probed: number[] = [];
  const laps = new Set([2, 3]);
  const ahead = new ProbeAhead({ probe: (id) => (probed.push(id), Promise.resolve()), eligible: (id) => !laps.has(id), window: () => 10, maxActive: 10 });
  ahead.fill([1, 2, 3, 4].map((targetId) => ({ targetId })));
  ahead.fill([1, 2, 3, 4].map((targetId) => ({ targetId })));
  assert.deepEqual(probed, [1, 4]);
  assert.equal(ahead.take(2), null);
  assert.ok(ahead.take(4));
});
