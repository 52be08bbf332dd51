// The selected History task as its loaded targets count it (the row, the chart, the banners, the
// actions and Properties all read these counts), and the newest task chosen when none is.
import { useEffect, useMemo } from 'react';
import type { TaskSummary } from '../../main/ipc/contract';
import { openTask } from '../state/actions';
import { selectSelectedTask, useConsole } from '../state/store';
import { countOutcomes, withTargetCounts, type OutcomeCounts } from './outcomeCounts';

/** The selected task (its counts from its targets once they are loaded) and those counts; nulls when none. */
export function useSelectedTask(): { task: TaskSummary | null; counts: OutcomeCounts | null } {
  const task = useConsole(selectSelectedTask);
  const targets = useConsole((s) => (s.selectedTaskId === null ? undefined : s.targetsByTask[s.selectedTaskId]));
  const counts = useMemo(() => (targets ? countOutcomes(targets) : null), [targets]);
  return useMemo(() => ({ task: task && counts ? withTargetCounts(task, counts) : task, counts: task ? counts : null }), [task, counts]);
}

/** The task list with the selected task's row replaced by its counted version. */
export function useTaskRows(task: TaskSummary | null): readonly TaskSummary[] {
  const tasks = useConsole((s) => s.tasks);
  return useMemo(() => (task ? tasks.map((t) => (t.id === task.id ? task : t)) : tasks), [tasks, task]);
}

/** Opens the newest task while none is selected (History never shows an empty lower grid under tasks). */
export function useNewestTaskWhenNoneSelected(): void {
  const tasks = useConsole((s) => s.tasks);
  const selectedTaskId = useConsole((s) => s.selectedTaskId);
  useEffect(() => {
    if (selectedTaskId !== null || tasks.length === 0) return;
    const newest = tasks.reduce((a, b) => (b.id > a.id ? b : a));
    void openTask(newest.id);
  }, [tasks, selectedTaskId]);
}
