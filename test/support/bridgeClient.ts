// The console's IPC contract from a test, over the browser shell's real WebSocket bridge: the
// same frames, token and guards the renderer uses (renderer/bridge/wsTransport.ts), without a
// browser. Results are validated by main as for any window; errors come back as ConsoleError.
import WebSocket from 'ws';
import { createApi } from '../../main/ipc/apiClient.js';
import type { Envelope, PushConsoleApi } from '../../main/ipc/contract.js';
import { createBridgeCalls, type ServerMessage } from '../../main/ipc/bridgeProtocol.js';

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
  const lost: Envelope<unknown> = { ok: false, error: { class: 'bridge-closed', code: null, message: 'The console closed the bridge.', advice: 'Start it again.' } };
  const calls = createBridgeCalls(token);
  ws.on('message', (data: WebSocket.RawData) => calls.receive(JSON.parse(String(data)) as ServerMessage));
  ws.on('close', () => calls.failAll(lost));
  const api = createApi({
    invoke: (channel, payload) => (ws.readyState !== WebSocket.OPEN ? Promise.resolve(lost) : calls.invoke((text) => ws.send(text), channel, payload)),
    subscribe: (event, listener) => calls.subscribe(event, listener),
  });
  return { api, close: () => ws.terminate() };
}
