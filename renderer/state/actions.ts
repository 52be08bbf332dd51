// What the user does, as calls to main through the contract; results land in the store as
// events. This module loads everything at start-up and is the one import for the rest of the
// renderer: the calls and their errors (calls.ts), what main pushes (mainEvents.ts) and the
// actions by domain (computers, history, credentials, packages, settings; saving a download).
import { api } from '../api';
import { attempt } from './calls';
import { subscribeToMain as subscribe } from './mainEvents';
import { useConsole } from './store';

/** What main pushes, to the store; a data.reload reads every list again (loadAll), a data.changed the lists it names. */
export const subscribeToMain = (): (() => void) => subscribe(loadAll, loadLists);

export { asIpcError, invoke, request } from './calls';
export { menuCommand, progressReceived } from './mainEvents';
export { disconnectServer, loadServerStatus } from './serverActions';
export { addComputers, reloadComputers, removeComputers } from './computerActions';
export { loadTargetLogs, openTask, reloadSelectedTask, reloadTasks, removeLeftoversOf } from './historyActions';
export { rebindCredentials, rebindSummary, reloadCredentials, type RebindScope } from './credentialActions';
export { reloadPackages } from './packageActions';
export { saveSettings } from './settingsActions';
export { base64ToBytes, saveFile } from './saveFile';

export type StoreList = 'computers' | 'credentials' | 'packages' | 'tasks' | 'settings' | 'sites';

const ALL_LISTS: readonly StoreList[] = ['computers', 'tasks', 'packages', 'settings', 'credentials'];

/** Reads the named lists again (another console changed them on the server). */
export async function loadLists(lists: readonly StoreList[]): Promise<void> {
  const s = useConsole.getState();
  const want = new Set(lists);
  const [computers, tasks, packages, settings, credentials] = await Promise.all([
    want.has('computers') ? attempt(() => api.invoke('computers.list', {})) : null,
    want.has('tasks') ? attempt(() => api.invoke('tasks.list', {})) : null,
    want.has('packages') ? attempt(() => api.invoke('packages.list', {})) : null,
    want.has('settings') ? attempt(() => api.invoke('settings.get', {})) : null,
    want.has('credentials') ? attempt(() => api.invoke('credentials.list', {})) : null,
  ]);
  if (computers) s.computersLoaded(computers);
  if (tasks) s.tasksLoaded(tasks);
  if (packages) s.packagesLoaded(packages);
  if (settings) s.settingsLoaded(settings);
  if (credentials) s.credentialsLoaded(credentials);
  // The Sites window reads its list itself, when open.
  if (want.has('sites')) s.sitesChanged();
}

export async function loadAll(): Promise<void> {
  const [info] = await Promise.all([attempt(() => api.invoke('app.info', {})), loadLists(ALL_LISTS)]);
  if (info) useConsole.getState().appInfoReceived(info);
}
