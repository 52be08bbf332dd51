// The target queue: targets wait in order and at most `concurrency()` pushes run at once (read
// again whenever a slot frees, so a change in settings applies while tasks run). The targets next
// in line are TCP-probed while they wait (probeAhead.ts), so an offline host does not hold a push
// slot for the connect bound. What a turn does is the engine's (targetTurn.ts); the queue only
// orders, starts, aborts and counts.
//
// What a waiting target costs is its entry and its place: the line is an array read from a head
// index (taking the next is O(1), no shift), and each target's sequence number (its index in the
// line plus `base`) is kept in a map, so isQueued is O(1) and position is O(log k) — its distance
// from the head less the holes (targets taken out of the middle) before it, found by binary search
// in the sorted holes. The line is compacted (holes and the taken head dropped, sequence numbers
// given again) when the head or the holes grow past a bound, so that work is O(1) per target
// amortised, and reading every waiting target's position (History) is O(n log k), not O(n²).
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
/** The line is compacted once this many entries were taken from its head (and they are over half of it)… */
const COMPACT_HEAD = 1024;
/** …or this many holes were left by targets taken out of the middle. */
const COMPACT_HOLES = 256;

/** How many of the sorted numbers are below `value`. */
function countBelow(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class TargetQueue {
  /** The line: waiting entries in order; null where one was taken (before `head`, or a hole). */
  private line: (QueueEntry | null)[] = [];
  /** The sequence number of line[0]. */
  private base = 0;
  /** The index of the first entry not taken from the head. */
  private head = 0;
  /** Each waiting target's sequence number. */
  private readonly seqOf = new Map<number, number>();
  /** Sequence numbers of holes at or after the head, sorted. */
  private holes: number[] = [];
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
        if (!this.closed) this.probes.fill(this.waiting());
      },
    });
  }

  /** The waiting entries in order, from the head. */
  private *waiting(): Generator<QueueEntry> {
    for (let i = this.head; i < this.line.length; i++) {
      const entry = this.line[i];
      if (entry) yield entry;
    }
  }

  /** Appends targets at the end of the line; one already waiting keeps its place. */
  push(entries: readonly QueueEntry[]): void {
    for (const entry of entries) {
      if (this.seqOf.has(entry.targetId)) continue;
      this.seqOf.set(entry.targetId, this.base + this.line.length);
      this.line.push(entry);
    }
  }

  isQueued(targetId: number): boolean {
    return this.seqOf.has(targetId);
  }

  /** Takes a waiting target out of the line (its probe is dropped); null when it is not waiting. */
  remove(targetId: number): QueueEntry | null {
    const seq = this.seqOf.get(targetId);
    if (seq === undefined) return null;
    const index = seq - this.base;
    const entry = this.line[index]!;
    this.line[index] = null;
    this.seqOf.delete(targetId);
    this.holes.splice(countBelow(this.holes, seq), 0, seq);
    this.probes.forget(targetId);
    if (this.holes.length >= COMPACT_HOLES) this.compact();
    return entry;
  }

  /** Takes every waiting target of a task out of the line, in order; returns their ids. */
  removeTask(taskId: number): number[] {
    const removed: number[] = [];
    for (const entry of this.waiting()) {
      if (entry.taskId !== taskId) continue;
      removed.push(entry.targetId);
      this.seqOf.delete(entry.targetId);
      this.probes.forget(entry.targetId);
    }
    if (removed.length > 0) this.compact();
    return removed;
  }

  /** Where a waiting target stands (1 = next), or null when it is not waiting. */
  position(targetId: number): number | null {
    const seq = this.seqOf.get(targetId);
    if (seq === undefined) return null;
    const headSeq = this.base + this.head;
    return seq - headSeq - (countBelow(this.holes, seq) - countBelow(this.holes, headSeq)) + 1;
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
    return this.seqOf.size;
  }

  /** The next waiting entry, taken from the line; null when none waits. */
  private shift(): QueueEntry | null {
    while (this.head < this.line.length) {
      const entry = this.line[this.head];
      this.line[this.head++] = null;
      if (!entry) continue; // a hole: it stays in `holes` (below the head, it no longer counts) until compact()
      this.seqOf.delete(entry.targetId);
      this.probes.dequeued(entry.targetId);
      if (this.head >= COMPACT_HEAD && this.head * 2 >= this.line.length) this.compact();
      return entry;
    }
    return null;
  }

  /** Drops the taken head and the holes; the waiting entries get sequence numbers again, in order. */
  private compact(): void {
    const kept: QueueEntry[] = [];
    for (const entry of this.waiting()) if (this.seqOf.has(entry.targetId)) kept.push(entry);
    this.base += this.line.length; // numbers never reused: a stale one cannot point into the new line
    this.line = kept;
    this.head = 0;
    this.holes = [];
    kept.forEach((entry, i) => this.seqOf.set(entry.targetId, this.base + i));
  }

  /** Starts waiting targets while slots are free, then probes the ones next in line. */
  pump(): void {
    while (!this.closed && this.seqOf.size > 0 && this.running.size < this.d.concurrency()) {
      const next = this.shift();
      if (!next) break;
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
    if (!this.closed) this.probes.fill(this.waiting());
  }

  /** Nothing more starts; `abort` also stops the pushes under way. Resolves when none runs. */
  async close(options: { abort: boolean; wait: boolean }): Promise<void> {
    this.closed = true;
    if (options.abort) for (const run of this.running.values()) run.controller.abort();
    if (!options.wait) return;
    while (this.running.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
