// The console's IPC contract from a test, over the browser shell's real WebSocket bridge: the
// same frames, token and guards the renderer uses (renderer/bridge/wsTransport.ts), without a
// browser. Results are validated by main as for any window; errors come back as ConsoleError.
import WebSocket from 'ws';
import { createApi } from '../../main/ipc/apiClient.js';
import type { Envelope, PushConsoleApi } from '../../main/ipc/contract.js';
import type { InvokeMessage, ServerMessage } from '../../main/ipc/bridgeProtocol.js';

export interface BridgeClient {
  readonly api: PushConsoleApi;
  close(): void;
}

/** Connects to a browser shell from the URL it printed (`http://127.0.0.1:PORT/?token=…`). */
export async function connectBridge(shellUrl: string): Promise<BridgeClient> {
  const url = new URL(shellUrl);
  const token = url.searchParams.get('token') ?? '';
  const ws = new WebSocket(`ws://${url.host}/bridge`, { headers: { cookie: `pic_token=${token}` }, origin: url.origin, handshakeTimeout: 10_000 });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const pending = new Map<number, (e: Envelope<unknown>) => void>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const lost: Envelope<unknown> = { ok: false, error: { class: 'bridge-closed', code: null, message: 'The console closed the bridge.', advice: 'Start it again.' } };
  ws.on('message', (data: WebSocket.RawData) => {
    const message = JSON.parse(String(data)) as ServerMessage;
    if (message.type === 'result') {
      if (message.id !== null) pending.get(message.id)?.(message.envelope);
      if (message.id !== null) pending.delete(message.id);
    } else if (message.type !== 'caught-up') {
      const events = message.type === 'event' ? [message] : message.events;
      for (const e of events) for (const l of listeners.get(e.event) ?? []) l(e.payload);
    }
  });
  ws.on('close', () => {
    for (const resolve of pending.values()) resolve(lost);
    pending.clear();
  });
  let nextId = 1;
  const api = createApi({
    invoke: (channel, payload) =>
      new Promise((resolve) => {
        if (ws.readyState !== WebSocket.OPEN) return resolve(lost);
        const id = nextId++;
        pending.set(id, resolve);
        const message: InvokeMessage = { type: 'invoke', id, token, channel, payload };
        ws.send(JSON.stringify(message));
      }),
    subscribe: (event, listener) => {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    },
  });
  return { api, close: () => ws.terminate() };
}
