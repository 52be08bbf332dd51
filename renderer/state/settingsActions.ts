// The Configuration tab's settings saved to main (the store holds what main kept).
import type { Settings } from '../../main/ipc/contract';
import { api } from '../api';
import { attempt } from './calls';
import { useConsole } from './store';

export async function saveSettings(changes: Partial<Settings>): Promise<boolean> {
  const settings = await attempt(() => api.invoke('settings.update', changes));
  if (!settings) return false;
  useConsole.getState().settingsLoaded(settings);
  return true;
}
