// A push worker (docs/SERVER.md §6): the engine that exists (PushEngine) in claim mode, fed by
// claims on the database's queue (leases.ts) instead of by tasks it starts itself.
//
// - The claim loop: every CLAIM_INTERVAL_MS, and whenever a turn settles, claims up to the free
//   slots of queued targets of the worker's site and hands them to the engine (adopt). Claims run
//   outside any transaction (LeaseStore.claim retries a unique violation with a new statement).
// - Fencing: the engine's journal writes through `journalStore`, which turns every target change
//   and step into a write fenced by (worker id, claim number). A write refused means the lease
//   was lost (reaped, claimed again): the worker forgets the target and aborts its push. Writes
//   for a target this worker does not hold are dropped without a statement.
// - The heartbeat (every leaseMs / 3, so two can be missed before a lease runs out): the worker
//   row, then LeaseStore.extend for every lease held; lost ones are aborted; held ones whose cancel
//   was asked (LeaseStore.requestCancel) are aborted, and end cancelled as a local cancel does.
// - A settled turn whose target is done (or waits for credentials) is released (owner NULL). One
//   that waits for its retry (offline, port blocked) stays held, its lease extended, until the
//   engine's retry timer pushes it again.
// - Stopping: no more claims; running pushes get up to `drainMs` to end; the rest are handed back
//   to the queue (handBack) before the engine aborts them, so their last writes are fenced off.
import os from 'node:os';
import crypto from 'node:crypto';
import type { TasksRepo, TargetChanges } from '../store/tasksRepo.js';
import type { ClaimHooks } from '../engine/engineTypes.js';
import type { QueueEntry } from '../engine/targetQueue.js';
import { WAITING } from '../engine/targetTurn.js';
import type { LeaseStore } from './leases.js';

export const CLAIM_INTERVAL_MS = 500;
export const DEFAULT_LEASE_MS = 60_000;

export interface ClaimWorkerOptions {
  readonly leases: LeaseStore;
  readonly tasks: TasksRepo;
  /** The site it pushes for; null: the default site. */
  readonly siteId: number | null;
  readonly siteName: string;
  /** Most pushes at once (its claims never hold more targets than this). */
  readonly concurrency: () => number;
  readonly leaseMs?: number;
  readonly address?: string | null;
  readonly version: string;
  readonly log: (line: string) => void;
}

/** The engine a worker drives: what claim mode adds to PushEngine. */
export interface ClaimedEngine {
  adopt(entries: readonly QueueEntry[]): void;
  abortPush(targetId: number): void;
  readonly activeCount: number;
}

export function newWorkerId(): string {
  return `${os.hostname()}-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
}

export class ClaimWorker {
  readonly id = newWorkerId();
  /** The leases held now: target → its task and claim number. */
  private readonly held = new Map<number, { taskId: number; claim: number }>();
  private engine: ClaimedEngine | null = null;
  private claimTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private claiming = false;
  private stopped = false;
  private readonly leaseMs: number;

  constructor(private readonly o: ClaimWorkerOptions) {
    this.leaseMs = o.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** How many targets it holds now. */
  get holding(): number {
    return this.held.size;
  }

  /** What the engine needs to run in claim mode for this worker. */
  hooks(cancel: ClaimHooks['cancel']): ClaimHooks {
    const { leases, tasks } = this.o;
    return {
      journalStore: {
        batch: (writes) => tasks.batch(writes),
        updateTarget: (targetId: number, changes: TargetChanges) => {
          const lease = this.held.get(targetId);
          if (lease && !leases.updateTargetFenced(targetId, this.id, lease.claim, changes)) this.lost(targetId, 'a write was refused');
        },
        appendStep: (targetId, step, detail, code = null, at) => {
          const lease = this.held.get(targetId);
          const entry = lease ? leases.appendStepFenced(targetId, this.id, lease.claim, step, detail, code, at) : null;
          if (lease && !entry) this.lost(targetId, 'a step was refused');
          // The journal never reads what appendStep returns.
          return entry ?? { id: 0, targetId, at: at ?? '', step, detail, code };
        },
      },
      mayRun: (targetId) => this.held.has(targetId) && !this.stopped,
      settled: (entry) => this.settled(entry),
      cancel,
    };
  }

  /** Registers the worker and starts claiming and its heartbeat. */
  start(engine: ClaimedEngine): void {
    this.engine = engine;
    this.o.leases.registerWorker({ id: this.id, siteId: this.o.siteId, address: this.o.address ?? null, version: this.o.version });
    this.o.log(`Worker ${this.id} pushes for the site ${this.o.siteName} (leases of ${this.leaseMs / 1000} s).`);
    this.claimTimer = setInterval(() => this.claimNow(), CLAIM_INTERVAL_MS);
    this.heartbeatTimer = setInterval(() => this.beat(), Math.max(100, Math.floor(this.leaseMs / 3)));
    this.claimNow();
  }

  /** Claims up to the free slots and pushes them. */
  claimNow(): void {
    if (this.stopped || this.claiming || !this.engine) return;
    this.claiming = true;
    try {
      const free = this.o.concurrency() - this.held.size;
      if (free <= 0) return;
      const claimed = this.o.leases.claim(this.id, this.o.siteId, free, this.leaseMs);
      if (claimed.length === 0) return;
      for (const lease of claimed) {
        this.held.set(lease.targetId, { taskId: lease.taskId, claim: lease.claim });
        // Who pushed it, in the target's own log: each claim names its worker and site.
        this.o.leases.appendStepFenced(lease.targetId, this.id, lease.claim, 'claimed', `worker ${this.id} (site ${this.o.siteName}) claim ${lease.claim}`);
      }
      this.engine.adopt(claimed.map((l) => ({ targetId: l.targetId, taskId: l.taskId })));
    } catch (error) {
      this.o.log(`Worker ${this.id}: the claim failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.claiming = false;
    }
  }

  /** The heartbeat: the worker row, the leases extended, lost and cancelled pushes aborted. */
  beat(): void {
    try {
      this.o.leases.heartbeat(this.id, this.engine?.activeCount ?? 0);
      const mine = [...this.held].map(([targetId, l]) => ({ targetId, claim: l.claim }));
      const { lost } = this.o.leases.extend(this.id, mine, this.leaseMs);
      for (const l of lost) if (this.held.get(l.targetId)?.claim === l.claim) this.lost(l.targetId, 'its lease was not extended');
      for (const targetId of this.o.leases.cancelRequested([...this.held.keys()])) this.engine?.abortPush(targetId);
    } catch (error) {
      this.o.log(`Worker ${this.id}: the heartbeat failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The lease is no longer this worker's: nothing more is written for the target, and its push stops. */
  private lost(targetId: number, why: string): void {
    if (!this.held.delete(targetId)) return;
    this.o.log(`Worker ${this.id}: lease of target ${targetId} lost (${why}); its push stops and writes nothing more.`);
    // Not from inside the journal's transaction: the abort runs the push's own handlers.
    setImmediate(() => this.engine?.abortPush(targetId));
  }

  private settled({ targetId }: QueueEntry): void {
    const lease = this.held.get(targetId);
    if (!lease) return;
    const state = this.o.tasks.targetRecord(targetId)?.state;
    // A retry later: still this worker's, its timer pushes it again.
    if (state !== 'done' && state !== WAITING) return;
    this.held.delete(targetId);
    if (!this.o.leases.release(targetId, this.id, lease.claim, {})) this.o.log(`Worker ${this.id}: target ${targetId} was no longer held at its release.`);
    setImmediate(() => this.claimNow());
  }

  /** Stops claiming; running pushes get `drainMs` to end; the rest go back to the queue; the worker row is stopped. */
  async stop(drainMs: number): Promise<number> {
    this.stopped = true;
    if (this.claimTimer) clearInterval(this.claimTimer);
    const until = Date.now() + drainMs;
    while ((this.engine?.activeCount ?? 0) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.held.clear();
    const back = this.o.leases.handBack(this.id);
    this.o.leases.stopWorker(this.id);
    return back;
  }
}
