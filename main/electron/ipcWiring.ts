// The only place ipcMain is touched: every contract channel goes to the shared router with the
// sending frame's URL, and every bus event goes to every window. Nothing else registers IPC.
import { ipcMain, type BrowserWindow } from 'electron';
import { channelNames, IPC_INVOKE_PREFIX } from '../ipc/contract.js';
import { batchEvents, IPC_EVENTS_CHANNEL, type EventBatcher } from '../ipc/eventBatch.js';
import type { EventBus } from '../ipc/eventBus.js';
import type { IpcRouter } from '../ipc/router.js';

/** Every contract channel to the router; a result is sent after the events emitted before it. */
export function registerContract(router: IpcRouter, events: Pick<EventBatcher, 'flush'>): void {
  for (const channel of channelNames) {
    ipcMain.handle(IPC_INVOKE_PREFIX + channel, async (event, payload: unknown) => {
      const envelope = await router.dispatch(channel, payload, { shell: 'electron', url: event.senderFrame?.url ?? '' });
      events.flush();
      return envelope;
    });
  }
}

/** Bus events to every window, a frame's worth per IPC message (eventBatch.ts). */
export function forwardEvents(bus: EventBus, windows: () => readonly BrowserWindow[]): EventBatcher {
  return batchEvents(bus, (batch) => {
    for (const win of windows()) {
      if (!win.isDestroyed()) win.webContents.send(IPC_EVENTS_CHANNEL, batch);
    }
  });
}
