// The only place ipcMain is touched: every contract channel goes to the shared router with the
// sending frame's URL, and every bus event goes to every window. Nothing else registers IPC.
import { ipcMain, type BrowserWindow } from 'electron';
import { channelNames, IPC_EVENT_PREFIX, IPC_INVOKE_PREFIX } from '../ipc/contract.js';
import type { EventBus } from '../ipc/eventBus.js';
import type { IpcRouter } from '../ipc/router.js';

export function registerContract(router: IpcRouter): void {
  for (const channel of channelNames) {
    ipcMain.handle(IPC_INVOKE_PREFIX + channel, (event, payload: unknown) =>
      router.dispatch(channel, payload, { shell: 'electron', url: event.senderFrame?.url ?? '' }),
    );
  }
}

export function forwardEvents(bus: EventBus, windows: () => readonly BrowserWindow[]): () => void {
  return bus.subscribe((event, payload) => {
    for (const win of windows()) {
      if (!win.isDestroyed()) win.webContents.send(IPC_EVENT_PREFIX + event, payload);
    }
  });
}
