// What the preload hands to contextBridge: the contract's API over ipcRenderer, and nothing
// else (no ipcRenderer, no Node). Kept apart from preload.ts so it is testable without Electron.
import { createApi } from '../main/ipc/apiClient.js';
import { IPC_EVENT_PREFIX, IPC_INVOKE_PREFIX, type Envelope, type PushConsoleApi } from '../main/ipc/contract.js';

/** The slice of Electron's ipcRenderer the API uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function createPreloadApi(ipc: IpcRendererLike): PushConsoleApi {
  return createApi({
    invoke: (channel, request) => ipc.invoke(IPC_INVOKE_PREFIX + channel, request) as Promise<Envelope<unknown>>,
    subscribe(event, listener) {
      const handler = (_event: unknown, payload: unknown) => listener(payload);
      ipc.on(IPC_EVENT_PREFIX + event, handler);
      return () => void ipc.removeListener(IPC_EVENT_PREFIX + event, handler);
    },
  });
}
