// Log retention (Configuration → "Keep logs (days)"): installation history older than the setting
// is removed — tasks that ended before the cutoff, with their targets, step logs and MSI logs —
// at start and then every few hours, reading the setting each time so a change applies without a
// restart. Tasks whose leftovers are still on a computer are kept (TasksRepo.pruneEndedBefore).
import type { Settings } from '../ipc/contract.js';
import type { TasksRepo } from '../store/tasksRepo.js';

export const RETENTION_INTERVAL_MS = 6 * 60 * 60_000;

export interface RetentionOptions {
  readonly tasks: Pick<TasksRepo, 'pruneEndedBefore'>;
  readonly settings: () => Pick<Settings, 'logRetentionDays'>;
  readonly log: (line: string) => void;
  readonly now?: () => Date;
  readonly intervalMs?: number;
}

/** One sweep: what was removed. */
export function sweepHistory(o: RetentionOptions): { tasks: number; targets: number; kept: number } {
  const days = o.settings().logRetentionDays;
  const cutoff = new Date((o.now?.() ?? new Date()).getTime() - days * 86_400_000);
  const removed = o.tasks.pruneEndedBefore(cutoff);
  if (removed.tasks > 0) o.log(`Removed ${removed.tasks} task(s) that ended more than ${days} day(s) ago, with the logs of their ${removed.targets} computer(s) (Configuration → Keep logs).`);
  if (removed.kept > 0) o.log(`Kept ${removed.kept} task(s) older than ${days} day(s): what their pushes left is still on computers. They go once it is removed (Leftovers…; Set Credentials… where the credentials are gone).`);
  return removed;
}

/** Sweeps now and every intervalMs; the timer does not keep the process alive. Returns stop(). */
export function startRetention(o: RetentionOptions): () => void {
  const sweep = () => {
    try {
      sweepHistory(o);
    } catch (error) {
      o.log(`Old installation history could not be removed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  sweep();
  const timer = setInterval(sweep, o.intervalMs ?? RETENTION_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
