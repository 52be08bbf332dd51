// A task's outcome counts from its loaded targets: the one source for the task row's counts and the
// outcome chart under it (so they never disagree), and the chart's error classes, every failure in one.
import type { TaskSummary, TaskTarget } from '../../main/ipc/contract';

export interface OutcomeCounts {
  readonly total: number;
  readonly succeeded: number;
  /** Succeeded, with a restart needed to finish. */
  readonly reboot: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly interrupted: number;
  /** Neither queued, waiting nor done: probing, copying, installing… (as main counts "running"). */
  readonly running: number;
  readonly waiting: number;
  readonly queued: number;
  /** Ended pushes that left something on their computer. */
  readonly leftovers: number;
  /** Failures by error class, most first; failures whose class has not arrived yet under UNKNOWN_CLASS. */
  readonly failedClasses: readonly (readonly [string, number])[];
}

/** The class arrives with the target's reload, a moment after its outcome event. */
export const UNKNOWN_CLASS = 'class not known yet';

export function countOutcomes(targets: readonly TaskTarget[]): OutcomeCounts {
  const c = { total: targets.length, succeeded: 0, reboot: 0, failed: 0, cancelled: 0, interrupted: 0, running: 0, waiting: 0, queued: 0, leftovers: 0 };
  const classes = new Map<string, number>();
  for (const t of targets) {
    if (t.state === 'done' && t.leftovers !== null) c.leftovers += 1;
    if (t.state === 'waiting-for-credentials') c.waiting += 1;
    else if (t.state === 'queued') c.queued += 1;
    else if (t.state !== 'done') c.running += 1;
    else if (t.outcome === 'succeeded') c.succeeded += 1;
    else if (t.outcome === 'succeeded-reboot-required') c.reboot += 1;
    else if (t.outcome === 'failed') {
      c.failed += 1;
      const cls = t.errorClass ?? UNKNOWN_CLASS;
      classes.set(cls, (classes.get(cls) ?? 0) + 1);
    } else if (t.outcome === 'cancelled') c.cancelled += 1;
    else c.interrupted += 1;
  }
  return { ...c, failedClasses: [...classes].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])) };
}

/** The task as its targets count it (status and times stay main's). */
export function withTargetCounts(task: TaskSummary, c: OutcomeCounts): TaskSummary {
  return { ...task, succeeded: c.succeeded + c.reboot, failed: c.failed, running: c.running, waiting: c.waiting, leftovers: c.leftovers };
}

/** At most `max` entries: beyond that the first max-1 classes and "other" for the rest. The counts always add up to the failures. */
export function classLegend(classes: OutcomeCounts['failedClasses'], max = 6): { label: string; count: number; title: string }[] {
  const entry = ([label, count]: readonly [string, number]) => ({ label, count, title: `${count} failed with ${label}` });
  if (classes.length <= max) return classes.map(entry);
  const rest = classes.slice(max - 1);
  return [
    ...classes.slice(0, max - 1).map(entry),
    { label: 'other', count: rest.reduce((n, [, k]) => n + k, 0), title: rest.map(([label, count]) => `${count} ${label}`).join(', ') },
  ];
}
