// The engine's journal: every target change and step-log line is queued and committed in one
// transaction per tick (50 ms), so hundreds of targets do not cost hundreds of fsyncs; what must
// be durable before the next remote call (the write-ahead record) is flushed at once by the
// caller. Each step and change also reaches the windows as an event.
import type { TargetState } from '../ipc/contract.js';
import type { EventBus } from '../ipc/eventBus.js';
import type { TargetChanges, TasksRepo } from '../store/tasksRepo.js';
import type { Outcome } from './results.js';

export const JOURNAL_TICK_MS = 50;
/** Under load, durable() commits at most once in this many ms (group commit). */
export const DURABLE_WINDOW_MS = 10;

export class Journal {
  private pending: (() => void)[] = [];
  /** Changes queued per target since the last commit, merged: a push's many state changes in one tick cost one UPDATE. */
  private updates = new Map<number, TargetChanges>();
  private timer: NodeJS.Timeout | null = null;
  private abandoned = false;
  /** Pushes waiting for their write-ahead record to be on disk (durable()): one commit serves them all. */
  private durableWaiters: { resolve(): void; reject(error: unknown): void }[] = [];
  /** When the last commit was made (performance.now()). */
  private lastCommit = -Infinity;

  constructor(
    private readonly tasks: Pick<TasksRepo, 'batch' | 'updateTarget' | 'appendStep'>,
    private readonly events: EventBus | undefined,
    private readonly now: () => Date,
    private readonly logSink?: (line: string) => void,
  ) {}

  /** Queues a write for the next commit. */
  write(fn: () => void): void {
    if (this.abandoned) return;
    this.pending.push(fn);
    this.timer ??= setTimeout(() => this.flush(), JOURNAL_TICK_MS);
  }

  /** Commits every queued write in one transaction. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const writes = this.pending;
    this.pending = [];
    this.updates = new Map();
    if (!writes.length) return;
    this.lastCommit = performance.now();
    this.tasks.batch(writes);
  }

  /**
   * Commits what is queued and resolves once it is on disk — in one transaction (one fsync) with
   * every other push's record asked for meanwhile: at once when nothing was committed in the last
   * DURABLE_WINDOW_MS, else when that window ends. 200 pushes at once would otherwise cost a
   * commit for each record and each verdict (a commit's locking, WAL writes and fsync cost more
   * than its statements); under load this is at most one commit per window, and a lone push
   * waits for nothing. The write-ahead records a push awaits before its next remote change and
   * the verdicts announced after their commit go this way.
   */
  durable(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.durableWaiters.push({ resolve, reject });
      if (this.durableWaiters.length > 1) return;
      const commit = () => {
        const waiters = this.durableWaiters;
        this.durableWaiters = [];
        try {
          this.flush();
        } catch (error) {
          for (const w of waiters) w.reject(error);
          return;
        }
        for (const w of waiters) w.resolve();
      };
      const wait = this.lastCommit + DURABLE_WINDOW_MS - performance.now();
      if (wait > 0) setTimeout(commit, wait);
      else setImmediate(commit);
    });
  }

  /** A crash, for tests of recovery: what is queued is lost and nothing more is written or announced. */
  abandon(): void {
    this.abandoned = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = [];
    this.updates = new Map();
  }

  /** A target's changes; merged with its changes already queued (the later value of a field wins), written at their place in the queue. */
  update(targetId: number, changes: TargetChanges): void {
    if (this.abandoned) return;
    const updates = this.updates;
    const queued = updates.get(targetId);
    updates.set(targetId, queued ? { ...queued, ...changes } : changes);
    if (!queued) this.write(() => this.tasks.updateTarget(targetId, updates.get(targetId)!));
  }

  /** A line of the target's step log, and of the activity log (warnings for leftovers and interruptions). */
  step(taskId: number, targetId: number, step: string, detail: string, code: string | null = null): void {
    if (this.abandoned) return;
    const at = this.now().toISOString();
    this.write(() => this.tasks.appendStep(targetId, step, detail, code, at));
    const level = step === 'error' ? 'error' : code === 'LEFTOVERS' || step === 'interrupted' ? 'warning' : 'info';
    this.events?.emit('log.line', { at, level, message: `${step}: ${detail}`, taskId, targetId });
  }

  /** A target's new state for the windows; they read the row it speaks of, so commit first where it matters. */
  progress(taskId: number, targetId: number, state: TargetState, outcome: Outcome | null, progress: number | null): void {
    if (this.abandoned) return;
    this.events?.emit('task.progress', { taskId, targetId, state, outcome, progress });
  }

  /** A line of the console's own log (recovery, schedules, credentials). */
  log(line: string): void {
    this.logSink?.(line);
    this.events?.emit('log.line', { at: this.now().toISOString(), level: 'info', message: line });
  }
}
