// The connection to a Push Install Server as the window sees it: its status (asked at start, then
// pushed by main as server.status), Disconnect, and re-reading every list when they come from
// another store (main's data.reload: connected, reconnected after a loss, disconnected).
import { api } from '../api';
import { attempt } from './calls';
import { useConsole } from './store';

export async function loadServerStatus(): Promise<void> {
  const status = await attempt(() => api.invoke('server.status', {}));
  if (status) useConsole.getState().serverStatusReceived(status);
}

export async function disconnectServer(): Promise<void> {
  const status = await attempt(() => api.invoke('server.disconnect', {}));
  if (status) useConsole.getState().serverStatusReceived(status);
}

/** Every list read again from where they come from now; what was selected there is dropped first. */
export async function reloadEverything(load: () => Promise<void>): Promise<void> {
  useConsole.getState().dataReplaced();
  await load();
}
