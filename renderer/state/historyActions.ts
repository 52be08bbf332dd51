// Installation History's data: the tasks, the selected task's targets, their logs, and Remove
// Leftovers on targets one at a time.
import { api } from '../api';
import { attempt, request } from './calls';
import type { TaskTarget } from '../../main/ipc/contract';
import { useConsole } from './store';

export async function reloadTasks(): Promise<void> {
  const tasks = await attempt(() => api.invoke('tasks.list', {}));
  if (tasks) useConsole.getState().tasksLoaded(tasks);
}

/** Targets per tasks.targets page: 5 000 rows parse and merge in a few milliseconds, 50 000 at once would hold the page. */
export const TARGETS_PAGE = 5_000;
/** The latest load of each task's targets still paging (a newer open or reload supersedes an older one). */
const paging = new Map<number, number>();
let loads = 0;

/** Whether a task's targets are still being read page by page (rows not in its list yet may exist). */
export const isPaging = (taskId: number): boolean => paging.has(taskId);

/**
 * A task's targets, page by page. A task not shown yet fills in as the pages come (its first
 * 5 000 rows at once); a reload of a shown task keeps the old list until every page is in, then
 * swaps it whole (no shrinking grid, the selection stays).
 */
async function loadTargets(taskId: number): Promise<void> {
  const load = ++loads;
  paging.set(taskId, load);
  const progressive = useConsole.getState().targetsByTask[taskId] === undefined;
  const read: TaskTarget[] = [];
  try {
    for (let offset = 0; ; offset += TARGETS_PAGE) {
      const page = await attempt(() => api.invoke('tasks.targets', { taskId, offset, limit: TARGETS_PAGE }));
      if (!page || paging.get(taskId) !== load) return;
      if (progressive) appendTargets(taskId, page, offset === 0);
      else for (const t of page) read.push(t);
      if (page.length < TARGETS_PAGE) break;
    }
    if (!progressive) useConsole.getState().targetsLoaded(taskId, read);
  } finally {
    if (paging.get(taskId) === load) paging.delete(taskId);
  }
}

/** One page into the task's list: the first replaces it, the next ones are added after it. */
function appendTargets(taskId: number, page: TaskTarget[], first: boolean): void {
  if (first) return useConsole.getState().targetsLoaded(taskId, page);
  useConsole.setState((s) => {
    const current = s.targetsByTask[taskId];
    return current ? { targetsByTask: { ...s.targetsByTask, [taskId]: current.concat(page) } } : {};
  });
}

export async function openTask(taskId: number): Promise<void> {
  useConsole.getState().taskSelected(taskId);
  await loadTargets(taskId);
}

/** The selected task's targets again (after an action changed some of them); the selection stays. */
export async function reloadSelectedTask(): Promise<void> {
  const taskId = useConsole.getState().selectedTaskId;
  if (taskId === null) return;
  await loadTargets(taskId);
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
