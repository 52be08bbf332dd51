// Installation History's data: the tasks, the selected task's targets, their logs, and Remove
// Leftovers on targets one at a time.
import { api } from '../api';
import { attempt, request } from './calls';
import { useConsole } from './store';

export async function reloadTasks(): Promise<void> {
  const tasks = await attempt(() => api.invoke('tasks.list', {}));
  if (tasks) useConsole.getState().tasksLoaded(tasks);
}

export async function openTask(taskId: number): Promise<void> {
  useConsole.getState().taskSelected(taskId);
  const targets = await attempt(() => api.invoke('tasks.targets', { taskId }));
  if (targets) useConsole.getState().targetsLoaded(taskId, targets);
}

/** The selected task's targets again (after an action changed some of them); the selection stays. */
export async function reloadSelectedTask(): Promise<void> {
  const taskId = useConsole.getState().selectedTaskId;
  if (taskId === null) return;
  const targets = await attempt(() => api.invoke('tasks.targets', { taskId }));
  if (targets) useConsole.getState().targetsLoaded(taskId, targets);
}

export async function loadTargetLogs(targetIds: number[], withMsiLog = false): Promise<void> {
  await Promise.all(
    targetIds.map(async (targetId) => {
      const entries = await attempt(() => api.invoke('targets.log', { targetId }));
      if (entries) useConsole.getState().targetLogLoaded(targetId, entries);
      if (withMsiLog) {
        const msi = await attempt(() => api.invoke('targets.msiLog', { targetId }));
        if (msi) useConsole.getState().msiLogLoaded(targetId, msi.log);
      }
    }),
  );
}

/** Remove Leftovers on each target in turn: how many were cleaned, still hold something, lack credentials, or failed (with why). */
export async function removeLeftoversOf<T extends { readonly id: number; readonly computerName: string }>(
  targets: readonly T[],
): Promise<{ cleaned: number; remaining: number; missing: T[]; problems: string[] }> {
  let cleaned = 0;
  let remaining = 0;
  const missing: T[] = [];
  const problems: string[] = [];
  for (const t of targets) {
    const r = await request('targets.removeLeftovers', { targetId: t.id });
    if (r.ok) {
      if (r.result.remaining) remaining += 1;
      else cleaned += 1;
    } else if (r.error.class === 'credentials-missing') missing.push(t);
    else problems.push(`${t.computerName}: ${r.error.class} — ${r.error.message}`);
  }
  return { cleaned, remaining, missing, problems };
}
