// The browser shell's transport: the IPC contract over the console's WebSocket bridge. Every
// message carries the launch token the server put into the page.
import type { ApiTransport } from '../../main/ipc/apiClient';
import { createBridgeCalls, type ServerMessage } from '../../main/ipc/bridgeProtocol';
import type { Envelope } from '../../main/ipc/contract';

function closedError(): Envelope<unknown> {
  return {
    ok: false,
    error: {
      class: 'bridge-closed',
      code: null,
      message: 'The connection to the console was lost.',
      advice: 'Check that the console is still running, then reload this page.',
    },
  };
}

export function createWebSocketTransport(url: string, token: string): ApiTransport {
  const socket = new WebSocket(url);
  const opened = new Promise<void>((resolve) => socket.addEventListener('open', () => resolve(), { once: true }));
  const calls = createBridgeCalls(token);
  let closed = false;

  socket.addEventListener('message', (event) => calls.receive(JSON.parse(String(event.data)) as ServerMessage));
  socket.addEventListener('close', () => {
    closed = true;
    calls.failAll(closedError());
  });

  return {
    async invoke(channel, request) {
      await Promise.race([opened, new Promise((resolve) => socket.addEventListener('close', resolve, { once: true }))]);
      if (closed) return closedError();
      return calls.invoke((text) => socket.send(text), channel, request);
    },
    subscribe: (event, listener) => calls.subscribe(event, listener),
  };
}
