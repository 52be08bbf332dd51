// The target queue: targets wait in order and at most `concurrency()` pushes run at once (read
// again whenever a slot frees, so a change in settings applies while tasks run). The targets next
// in line are TCP-probed while they wait (probeAhead.ts), so an offline host does not hold a push
// slot for the connect bound. What a turn does is the engine's (targetTurn.ts); the queue only
// orders, starts, aborts and counts.
import { ProbeAhead } from './probeAhead.js';

export interface QueueEntry {
  readonly targetId: number;
  readonly taskId: number;
}

export interface TargetQueueDeps {
  concurrency(): number;
  /** A target's turn; the queue's slot is held until it settles. */
  run(entry: QueueEntry, signal: AbortSignal): Promise<void>;
  /** A turn that threw (a bug, not a push failure): the engine ends the target `internal`. */
  crashed(entry: QueueEntry, error: unknown): void;
  /** After a turn settled and its slot was freed, before the next is started. */
  settled(entry: QueueEntry): void;
  /** Connects to the target's SMB port within the connect bound; rejects when it cannot. */
  probe(targetId: number): Promise<void>;
  /** Whether a waiting target may be probed ahead (default: all). */
  probeEligible?(targetId: number): boolean;
}

// Far enough ahead that a window of silent hosts clears in about one connect bound.
const PROBE_WINDOW_MIN = 128;
const PROBE_MAX_ACTIVE = 256;

export class TargetQueue {
  private readonly waiting: QueueEntry[] = [];
  private readonly running = new Map<number, { readonly controller: AbortController; readonly taskId: number }>();
  private closed = false;
  /** The most pushes that ran at once (tests and benchmarks read it). */
  peakConcurrent = 0;
  readonly probes: ProbeAhead;

  constructor(private readonly d: TargetQueueDeps) {
    this.probes = new ProbeAhead({
      probe: (targetId) => d.probe(targetId),
      ...(d.probeEligible ? { eligible: d.probeEligible } : {}),
      window: () => Math.max(PROBE_WINDOW_MIN, 4 * d.concurrency()),
      maxActive: PROBE_MAX_ACTIVE,
      onSettled: () => {
        if (!this.closed) this.probes.fill(this.waiting);
      },
    });
  }

  /** Appends targets at the end of the line (the caller knows they are not in it). */
  push(entries: readonly QueueEntry[]): void {
    for (const entry of entries) this.waiting.push(entry);
  }

  isQueued(targetId: number): boolean {
    return this.waiting.some((e) => e.targetId === targetId);
  }

  /** Takes a waiting target out of the line (its probe is dropped); null when it is not waiting. */
  remove(targetId: number): QueueEntry | null {
    const index = this.waiting.findIndex((e) => e.targetId === targetId);
    if (index < 0) return null;
    const [entry] = this.waiting.splice(index, 1);
    this.probes.forget(targetId);
    return entry!;
  }

  /** Takes every waiting target of a task out of the line, in order; returns their ids. */
  removeTask(taskId: number): number[] {
    const removed: number[] = [];
    const kept = this.waiting.filter((e) => e.taskId !== taskId || (removed.push(e.targetId), false));
    this.waiting.splice(0, this.waiting.length, ...kept);
    for (const targetId of removed) this.probes.forget(targetId);
    return removed;
  }

  /** Where a waiting target stands (1 = next), or null when it is not waiting. */
  position(targetId: number): number | null {
    const index = this.waiting.findIndex((e) => e.targetId === targetId);
    return index < 0 ? null : index + 1;
  }

  isRunning(targetId: number): boolean {
    return this.running.has(targetId);
  }

  runsTask(taskId: number): boolean {
    for (const run of this.running.values()) if (run.taskId === taskId) return true;
    return false;
  }

  /** Aborts the running push of a target (it stops its agent and cleans up). */
  abortTarget(targetId: number): void {
    this.running.get(targetId)?.controller.abort();
  }

  abortTask(taskId: number): void {
    for (const run of this.running.values()) if (run.taskId === taskId) run.controller.abort();
  }

  get activeCount(): number {
    return this.running.size;
  }

  get queuedCount(): number {
    return this.waiting.length;
  }

  /** Starts waiting targets while slots are free, then probes the ones next in line. */
  pump(): void {
    while (!this.closed && this.waiting.length > 0 && this.running.size < this.d.concurrency()) {
      const next = this.waiting.shift()!;
      const controller = new AbortController();
      this.running.set(next.targetId, { controller, taskId: next.taskId });
      this.peakConcurrent = Math.max(this.peakConcurrent, this.running.size);
      void this.d.run(next, controller.signal)
        .catch((error: unknown) => this.d.crashed(next, error))
        .finally(() => {
          this.running.delete(next.targetId);
          this.d.settled(next);
          this.pump();
        });
    }
    if (!this.closed) this.probes.fill(this.waiting);
  }

  /** Nothing more starts; `abort` also stops the pushes under way. Resolves when none runs. */
  async close(options: { abort: boolean; wait: boolean }): Promise<void> {
    this.closed = true;
    if (options.abort) for (const run of this.running.values()) run.controller.abort();
    if (!options.wait) return;
    while (this.running.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
