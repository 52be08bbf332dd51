// What the user does, as calls to main through the contract; results land in the store as
// events. Errors become the store's `{class, code, message, advice}` for the error notice.
import { ConsoleError } from '../../main/ipc/errors';
import type { IpcError, Settings } from '../../main/ipc/contract';
import { api } from '../api';
import { useConsole } from './store';

function asIpcError(error: unknown): IpcError {
  if (error instanceof ConsoleError) return error.toIpcError();
  return { class: 'internal', code: null, message: String(error), advice: 'Reload the window; if it happens again, report it.' };
}

/** Runs a call; on failure raises the error notice and resolves to undefined. */
async function attempt<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    useConsole.getState().errorRaised(asIpcError(error));
    return undefined;
  }
}

export async function loadAll(): Promise<void> {
  const s = useConsole.getState();
  const [info, computers, tasks, packages, settings] = await Promise.all([
    attempt(() => api.invoke('app.info', {})),
    attempt(() => api.invoke('computers.list', {})),
    attempt(() => api.invoke('tasks.list', {})),
    attempt(() => api.invoke('packages.list', {})),
    attempt(() => api.invoke('settings.get', {})),
  ]);
  if (info) s.appInfoReceived(info);
  if (computers) s.computersLoaded(computers);
  if (tasks) s.tasksLoaded(tasks);
  if (packages) s.packagesLoaded(packages);
  if (settings) s.settingsLoaded(settings);
}

export function subscribeToMain(): () => void {
  const s = useConsole.getState();
  const offs = [
    api.on('log.line', (line) => s.logLineReceived(line)),
    api.on('task.progress', (event) => s.targetProgressed(event)),
    api.on('menu.command', ({ command }) => {
      if (command === 'properties') useConsole.getState().propertiesRequested();
      else useConsole.getState().tabChosen(command.slice('tab.'.length) as 'computers');
    }),
  ];
  return () => offs.forEach((off) => off());
}

export async function addComputers(entries: string[], groupName?: string) {
  const result = await attempt(() => api.invoke('computers.add', groupName ? { entries, groupName } : { entries }));
  if (!result) return undefined;
  const computers = await attempt(() => api.invoke('computers.list', {}));
  if (computers) useConsole.getState().computersLoaded(computers);
  return result;
}

export async function removeComputers(ids: number[]): Promise<void> {
  if ((await attempt(() => api.invoke('computers.remove', { ids }))) === undefined) return;
  const computers = await attempt(() => api.invoke('computers.list', {}));
  if (computers) useConsole.getState().computersLoaded(computers);
}

export async function openTask(taskId: number): Promise<void> {
  useConsole.getState().taskSelected(taskId);
  const targets = await attempt(() => api.invoke('tasks.targets', { taskId }));
  if (targets) useConsole.getState().targetsLoaded(taskId, targets);
}

export async function loadTargetLogs(targetIds: number[]): Promise<void> {
  for (const targetId of targetIds) {
    const entries = await attempt(() => api.invoke('targets.log', { targetId }));
    if (entries) useConsole.getState().targetLogLoaded(targetId, entries);
  }
}

export async function saveSettings(changes: Partial<Settings>): Promise<boolean> {
  const settings = await attempt(() => api.invoke('settings.update', changes));
  if (!settings) return false;
  useConsole.getState().settingsLoaded(settings);
  return true;
}
