// window.pushConsole is the contract's API (derived in main/ipc/contract.ts, never restated):
// the Electron preload exposes it; in the browser shell renderer/api.ts builds it over the bridge.
import type { PushConsoleApi } from '../main/ipc/contract';

declare global {
  interface Window {
    pushConsole?: PushConsoleApi;
  }
}
export {};
