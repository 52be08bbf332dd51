// The engine's timers — scheduled tasks and retry pauses — in one place, so closing the engine
// clears them all. A time further away than setTimeout can wait (about 24.8 days) is reached in
// steps.
const MAX_TIMER = 2 ** 31 - 1;

export class EngineTimers {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Runs `fn` after `ms`. */
  after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      fn();
    }, Math.min(Math.max(0, ms), MAX_TIMER));
    this.pending.add(timer);
  }

  /** Runs `fn` at `dueMs` (epoch ms), however far away, as `now()` tells time. */
  at(dueMs: number, now: () => number, fn: () => void): void {
    const delay = Math.max(0, dueMs - now());
    this.after(delay, () => (delay > MAX_TIMER ? this.at(dueMs, now, fn) : fn()));
  }

  clear(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
