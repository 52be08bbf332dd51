// The engine's memory is bounded by its concurrency, not by the task's size (issue "One console at
// enterprise scale"): a task of many targets over a lab of 250 healthy hosts (each host takes
// several targets, each under a computer name of its own), 200 at once, install ~0 ms. Every target
// must end succeeded, and the heap (after a full GC) may grow only by a small bound per target:
//   • at the end: after waitForTask, minus just after submit (the whole task queued, the first
//     turns started but no push on the wire yet), per target — what outlives a target's end;
//   • while it runs: at 75 % done minus at 25 % done, per target done in between — both points with
//     the same pushes in flight, so what a running push holds cancels out and what each ended (or
//     started) target leaves behind shows.
// The lab runs in a worker thread of this process (startLab there): a worker has a V8 heap of its
// own, so the heap measured is the console's alone — the lab's own bookkeeping (its ADMIN$ tables)
// is not the engine's to bound — and the lab's SMB servers get the second core.
// The pushes use the SMB transport (the package copied to ADMIN$, no call back to the package
// server): fewer steps per push, so 10 000 fit in the time; and with the lab on the main thread,
// its simulated agents' fixed 2 s TLS-handshake bound was missed at 200 at once (agent-no-callback).
// GC is had without --expose-gc on the runner: v8.setFlagsFromString + vm.runInNewContext('gc').
// ENGINE_SCALE_TARGETS overrides the count (a quicker run while working on the engine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import v8 from 'node:v8';
import vm from 'node:vm';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { startLab } from '../../main/lab/lab.js';
import { startEngineFixture } from '../support/engineFixture.js';

interface LabInfo { hosts: { name: string; address: string; port: number }[]; user: string; password: string }
type LabAnswer = { leftovers: number };

/** The worker's side: the lab, its hosts for the engine, and on 'close' the hosts with something left. */
async function labWorker(): Promise<void> {
  const lab = await startLab({ hosts: 250, first: '127.0.206.1', port: 14495, profile: 'healthy', installTimeMs: 0, startTimeoutMs: 300 });
  const info: LabInfo = { hosts: lab.hosts.map((h) => ({ name: h.config.name, address: h.config.address, port: h.config.port })), user: lab.account.user, password: lab.account.password };
  parentPort!.postMessage(info);
  parentPort!.once('message', () => {
    const answer: LabAnswer = { leftovers: lab.leftovers().length };
    void lab.close().then(() => parentPort!.postMessage(answer));
  });
}

const HOSTS = 250;
// 20 000 take about 300 s on 2 cores (≈68 pushes a second, engine and lab together); 10 000 about 150 s.
const TARGETS = Number(process.env.ENGINE_SCALE_TARGETS ?? 10_000);
const CONCURRENCY = 200;
/** KB of heap per target, at most: measured 0.06 at the end and −0.2…0.0 while running (10 000 targets); before the queue's rework, 2.3 while running. */
const MAX_KB_PER_TARGET = 0.5;

const heapAfterGc = (): number => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed; // this thread's heap: the worker's is its own
};

if (!isMainThread) void labWorker();
else test(`${TARGETS} targets over ${HOSTS} lab hosts at concurrency ${CONCURRENCY}: all succeed, and the heap grows less than ${MAX_KB_PER_TARGET} KB per target`, async (t) => {
  const worker = new Worker(new URL(import.meta.url));
  t.after(() => worker.terminate());
  const [lab] = (await once(worker, 'message')) as [LabInfo];
  const fx = await startEngineFixture(t, {
    settings: { maxConcurrentPushes: CONCURRENCY },
    timeouts: { connectMs: 5000, agentCallbackMs: 30_000, pollMs: 50, serviceStartMs: 10_000 },
  });
  const credentialId = fx.runtime.vault.put('lab', `LAB\\${lab.user}`, lab.password);
  const targets = Array.from({ length: TARGETS }, (_, i) => {
    const host = lab.hosts[i % HOSTS]!;
    return { computerName: `${host.name}-${Math.floor(i / HOSTS)}`, address: host.address, port: host.port, credentialId };
  });

  const samples = new Map<number, number>();
  let done = 0;
  const quarter = Math.floor(TARGETS / 4);
  fx.events.subscribe((event, payload) => {
    if (event !== 'task.progress' || (payload as { state: string }).state !== 'done') return;
    done += 1;
    if (done === quarter || done === 3 * quarter) {
      const at = done;
      setImmediate(() => samples.set(at, heapAfterGc()));
    }
  });
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  t.after(() => clearInterval(sampler));

  const t0 = Date.now();
  const taskId = fx.runtime.engine.submit({ name: 'scale', packageId: fx.packageId, options: { transport: 'smb' }, targets });
  targets.length = 0;
  const heapStart = heapAfterGc();
  await fx.runtime.engine.waitForTask(taskId);
  const seconds = (Date.now() - t0) / 1000;
  const heapEnd = heapAfterGc();
  clearInterval(sampler);

  const tally = fx.tasks.targetTally(taskId);
  const failed = fx.tasks.targetRecords(taskId).filter((r) => r.outcome !== 'succeeded').slice(0, 5).map((r) => `${r.computer_name}: ${r.outcome}/${r.error_class} ${r.error_message}`);
  assert.deepEqual(tally, { targets: TARGETS, notDone: 0, succeeded: TARGETS }, `every target ended succeeded; not: ${failed.join('; ')}`);
  assert.ok(fx.runtime.engine.peakConcurrent <= CONCURRENCY);
  const q1 = samples.get(quarter);
  const q3 = samples.get(3 * quarter);
  assert.ok(q1 !== undefined && q3 !== undefined, 'the heap was sampled at 25 % and 75 %');
  const kb = (bytes: number, n: number) => bytes / n / 1024;
  const atEnd = kb(heapEnd - heapStart, TARGETS);
  const whileRunning = kb(q3 - q1, 3 * quarter - quarter);
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  t.diagnostic(`${TARGETS} targets in ${seconds.toFixed(1)} s (${((seconds * 1000 * CONCURRENCY) / TARGETS).toFixed(0)} ms per push at ${CONCURRENCY} at once); peak concurrent ${fx.runtime.engine.peakConcurrent}`);
  t.diagnostic(`heap after GC: ${mib(heapStart)} MiB submitted, ${mib(q1)} at 25 %, ${mib(q3)} at 75 %, ${mib(heapEnd)} MiB at the end`);
  t.diagnostic(`heap per target: ${atEnd.toFixed(3)} KB at the end, ${whileRunning.toFixed(3)} KB while running (bound ${MAX_KB_PER_TARGET} KB); RSS ${mib(rssBefore)} → peak ${mib(peakRss)} MiB (the lab's worker included)`);
  assert.ok(atEnd < MAX_KB_PER_TARGET, `heap grew ${atEnd.toFixed(3)} KB per target by the end`);
  assert.ok(whileRunning < MAX_KB_PER_TARGET, `heap grew ${whileRunning.toFixed(3)} KB per target while the task ran`);
  worker.postMessage('close');
  const [answer] = (await once(worker, 'message')) as [LabAnswer];
  assert.equal(answer.leftovers, 0, 'every lab host is clean');
});
