// When a task ends: the engine keeps, per begun task, the targets not done yet, so a task's end
// is known without reading all its targets at every step; a task ends `finished`, or `cancelled`
// when Cancel Task was used; waitForTask's promises resolve then.
import type { TasksRepo } from '../store/tasksRepo.js';
import type { Journal } from './journal.js';

export class TaskCompletion {
  private readonly open = new Map<number, Set<number>>();
  private readonly cancelled = new Set<number>();
  private readonly waiters = new Map<number, (() => void)[]>();

  constructor(
    private readonly tasks: Pick<TasksRepo, 'task' | 'targetTally' | 'setTaskStatus'>,
    private readonly journal: Journal,
    /** Whether a push of the task still runs (its target may be done in the database already). */
    private readonly runsTask: (taskId: number) => boolean,
  ) {}

  /** A task begins (or begins again after a restart) with these targets not done. */
  begin(taskId: number, notDone: Iterable<number>): void {
    this.open.set(taskId, new Set(notDone));
  }

  targetEnded(taskId: number, targetId: number): void {
    this.open.get(taskId)?.delete(targetId);
  }

  cancel(taskId: number): void {
    this.cancelled.add(taskId);
  }

  isCancelled(taskId: number): boolean {
    return this.cancelled.has(taskId);
  }

  /** Resolves when every target of the task is done. */
  wait(taskId: number): Promise<void> {
    const task = this.tasks.task(taskId);
    if (!task || task.status === 'finished' || task.status === 'cancelled') return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(taskId) ?? [];
      list.push(resolve);
      this.waiters.set(taskId, list);
    });
  }

  /** Ends the task when none of its targets is open or running: its status, a log line, the waiters. */
  finishIfDone(taskId: number): void {
    const open = this.open.get(taskId);
    if ((open && open.size > 0) || this.runsTask(taskId)) return;
    // Once ended it stays ended: a second call (the last two turns settling together) says nothing again.
    if (!open && ['finished', 'cancelled'].includes(this.tasks.task(taskId)?.status ?? '')) return;
    this.journal.flush();
    // Counted in the database: a task of 20 000 targets is not read row by row to end it.
    const tally = this.tasks.targetTally(taskId);
    if (tally.notDone > 0) return;
    this.open.delete(taskId);
    this.tasks.setTaskStatus(taskId, this.cancelled.has(taskId) ? 'cancelled' : 'finished');
    this.journal.log(`Task ${taskId} finished: ${tally.succeeded} of ${tally.targets} succeeded.`);
    for (const resolve of this.waiters.get(taskId) ?? []) resolve();
    this.waiters.delete(taskId);
  }
}
