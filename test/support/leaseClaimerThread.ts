// One push worker of test/interop/leases.test.ts's race, on a worker thread of its own with its
// own PostgreSQL connection (PgSyncDatabase blocks only this thread, so the claimers' statements
// really run at once in separate backends). It claims in a loop until no target is queued, and
// for each lease: takes the computer's and the target's slot in shared memory (a compare-and-swap
// that must find it free: else two holders at once, counted as a violation), writes a fenced step
// and state, frees the slots, and releases the target — done, or (some first claims) queued again,
// so targets come back below others and the claimers' snapshots disagree about which target of a
// computer is first. Every lease is recorded with its window in a total order shared by all the
// threads (Atomics.add on one counter), which the test checks for overlaps.
import { parentPort, workerData } from 'node:worker_threads';
import { PgSyncDatabase } from '../../main/store/pg/pgSync.js';
import { LeaseStore } from '../../main/workers/leases.js';

export interface ClaimerData {
  readonly url: string;
  readonly workerId: string;
  /** 1-based: what this thread writes into the slots it holds. */
  readonly index: number;
  /** [0] the order counter, [1] violations, then a slot per computer id, then a slot per target id. */
  readonly shared: SharedArrayBuffer;
  readonly computerSlots: number;
  readonly max: number;
  readonly requeueOneIn: number;
}

export interface ClaimRecord {
  readonly worker: string;
  readonly targetId: number;
  readonly computerId: number;
  readonly claim: number;
  /** Positions in the shared order: after the claim returned, before the release was sent. */
  readonly from: number;
  readonly to: number;
  readonly requeued: boolean;
}

export interface ClaimerReport {
  readonly records: ClaimRecord[];
  /** The claim loop's time, and the part of it spent in claim statements. */
  readonly loopMs: number;
  readonly claimMs: number;
  readonly claimStatements: number;
  readonly emptyClaims: number;
  readonly claimRetries: number;
  readonly fencedWritesRefused: number;
}

const data = workerData as ClaimerData;
const shared = new Int32Array(data.shared);
const COMPUTERS = 2;
const TARGETS = 2 + data.computerSlots;
const nap = new Int32Array(new SharedArrayBuffer(4));
let seed = data.index * 7919;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

const db = new PgSyncDatabase({ url: data.url, reconnectMs: 5_000 });
const leases = new LeaseStore(db);
leases.registerWorker({ id: data.workerId, siteId: null, address: null, version: 'test' });
const queued = db.prepare("SELECT count(*) AS n FROM task_targets WHERE state = 'queued'").pluck();
const records: ClaimRecord[] = [];
let claimStatements = 0;
let emptyClaims = 0;
let fencedWritesRefused = 0;

const loopStarted = performance.now();
let claimMs = 0;
for (;;) {
  const c0 = performance.now();
  const got = leases.claim(data.workerId, null, data.max, 60_000);
  claimStatements += 1;
  claimMs += performance.now() - c0;
  if (got.length === 0) {
    emptyClaims += 1;
    if (Number(queued.get()) === 0) break;
    Atomics.wait(nap, 0, 0, 1);
    continue;
  }
  const held = got.map((lease) => {
    const from = Atomics.add(shared, 0, 1);
    for (const slot of [COMPUTERS + lease.computerId!, TARGETS + lease.targetId]) {
      if (Atomics.compareExchange(shared, slot, 0, data.index) !== 0) Atomics.add(shared, 1, 1);
    }
    return { lease, from };
  });
  leases.heartbeat(data.workerId, held.length);
  for (const { lease, from } of held) {
    const requeue = lease.claim === 1 && random() * data.requeueOneIn < 1;
    if (!leases.appendStepFenced(lease.targetId, data.workerId, lease.claim, 'pushing', `claim ${lease.claim} by ${data.workerId}`)) fencedWritesRefused += 1;
    if (!leases.updateTargetFenced(lease.targetId, data.workerId, lease.claim, { state: 'installing', progress: 50 })) fencedWritesRefused += 1;
    const to = Atomics.add(shared, 0, 1);
    for (const slot of [COMPUTERS + lease.computerId!, TARGETS + lease.targetId]) {
      if (Atomics.compareExchange(shared, slot, data.index, 0) !== data.index) Atomics.add(shared, 1, 1);
    }
    const final = requeue ? { state: 'queued' as const, progress: null } : { state: 'done' as const, outcome: 'succeeded' as const, progress: 100, finished_at: new Date().toISOString() };
    if (!leases.release(lease.targetId, data.workerId, lease.claim, final)) fencedWritesRefused += 1;
    records.push({ worker: data.workerId, targetId: lease.targetId, computerId: lease.computerId!, claim: lease.claim, from, to, requeued: requeue });
  }
}
leases.stopWorker(data.workerId);
const report: ClaimerReport = { records, loopMs: performance.now() - loopStarted, claimMs, claimStatements, emptyClaims, claimRetries: leases.stats.claimRetries, fencedWritesRefused };
db.close();
parentPort!.postMessage(report);
