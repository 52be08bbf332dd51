// The Computers list: reloaded from main, and computers added or removed (the list is fresh after).
import { api } from '../api';
import { attempt } from './calls';
import { useConsole } from './store';

export async function reloadComputers(): Promise<void> {
  const computers = await attempt(() => api.invoke('computers.list', {}));
  if (computers) useConsole.getState().computersLoaded(computers);
}

export async function addComputers(entries: string[], groupName?: string) {
  const result = await attempt(() => api.invoke('computers.add', groupName ? { entries, groupName } : { entries }));
  if (!result) return undefined;
  await reloadComputers();
  return result;
}

export async function removeComputers(ids: number[]): Promise<void> {
  if ((await attempt(() => api.invoke('computers.remove', { ids }))) === undefined) return;
  await reloadComputers();
}
