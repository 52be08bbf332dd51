// The browser shell's transport: the IPC contract over the console's WebSocket bridge. Every
// message carries the launch token the server put into the page.
import type { ApiTransport } from '../../main/ipc/apiClient';
import type { InvokeMessage, ServerMessage } from '../../main/ipc/bridgeProtocol';
import type { Envelope, EventName } from '../../main/ipc/contract';

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
  const pending = new Map<number, (envelope: Envelope<unknown>) => void>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let nextId = 1;
  let closed = false;

  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as ServerMessage;
    if (message.type === 'result') {
      const resolve = message.id === null ? undefined : pending.get(message.id);
      if (message.id !== null) pending.delete(message.id);
      resolve?.(message.envelope);
    } else if (message.type === 'event') {
      for (const listener of listeners.get(message.event) ?? []) listener(message.payload);
    } else if (message.type === 'events') {
      for (const { event: name, payload } of message.events) for (const listener of listeners.get(name) ?? []) listener(payload);
    }
  });
  socket.addEventListener('close', () => {
    closed = true;
    for (const resolve of pending.values()) resolve(closedError());
    pending.clear();
  });

  return {
    async invoke(channel, request) {
      await Promise.race([opened, new Promise((resolve) => socket.addEventListener('close', resolve, { once: true }))]);
      if (closed) return closedError();
      const id = nextId++;
      const message: InvokeMessage = { type: 'invoke', id, token, channel, payload: request };
      return new Promise((resolve) => {
        pending.set(id, resolve);
        socket.send(JSON.stringify(message));
      });
    },
    subscribe(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    },
  };
}
