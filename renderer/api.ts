// The one API object the renderer uses: Electron's preload when present, else the browser
// shell's WebSocket bridge (same contract, same createApi).
import { createApi } from '../main/ipc/apiClient';
import type { PushConsoleApi } from '../main/ipc/contract';
import { createWebSocketTransport } from './bridge/wsTransport';

function browserBridgeApi(): PushConsoleApi {
  const token = document.querySelector<HTMLMetaElement>('meta[name="pic-bridge-token"]')?.content ?? '';
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/bridge`;
  return createApi(createWebSocketTransport(url, token));
}

export const api: PushConsoleApi = window.pushConsole ?? browserBridgeApi();
