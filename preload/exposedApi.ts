// What the preload hands to contextBridge: the contract's API over ipcRenderer, and nothing
// else (no ipcRenderer, no Node). Kept apart from preload.ts so it is testable without Electron.
import { createApi } from '../main/ipc/apiClient.js';
import { IPC_INVOKE_PREFIX, type Envelope, type EventName, type PushConsoleApi } from '../main/ipc/contract.js';
import { IPC_EVENTS_CHANNEL, type BatchedEvent } from '../main/ipc/eventBatch.js';

/** The slice of Electron's ipcRenderer the API uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function createPreloadApi(ipc: IpcRendererLike): PushConsoleApi {
  // Main sends events in batches on one channel (main/ipc/eventBatch.ts); they are handed to the
  // page's listeners one by one, in order. The channel is listened to while anyone listens.
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const onBatch = (_event: unknown, batch: unknown) => {
    if (!Array.isArray(batch)) return;
    for (const { event, payload } of batch as BatchedEvent[]) for (const listener of listeners.get(event) ?? []) listener(payload);
  };
  let count = 0;
  return createApi({
    invoke: (channel, request) => ipc.invoke(IPC_INVOKE_PREFIX + channel, request) as Promise<Envelope<unknown>>,
    subscribe(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      const own = (payload: unknown) => listener(payload);
      set.add(own);
      if (count++ === 0) ipc.on(IPC_EVENTS_CHANNEL, onBatch);
      return () => {
        if (!set.delete(own)) return;
        if (--count === 0) ipc.removeListener(IPC_EVENTS_CHANNEL, onBatch);
      };
    },
  });
}
