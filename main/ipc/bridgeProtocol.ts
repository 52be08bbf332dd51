// The browser shell's wire format over the WebSocket bridge: the IPC contract in JSON frames.
// Runtime-neutral: the bridge server (Node) and the renderer's transport (browser) share it.
import type { ChannelName, Envelope, EventName, IpcError } from './contract.js';
import type { ErrorClass } from './errorClasses.js';

/** Renderer → main. `token` is the launch's token; every message carries it. */
export interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: number;
  readonly token: string;
  readonly channel: ChannelName | string;
  readonly payload: unknown;
}

export type ServerMessage =
  | { readonly type: 'result'; readonly id: number | null; readonly envelope: Envelope<unknown> }
  | { readonly type: 'event'; readonly event: EventName; readonly payload: unknown }
  /**
   * Events that came within one flush interval, in order (a push of thousands emits many per frame).
   * A Push Install Server numbers each batch (`id`): a client that reconnects with ?after=<id>
   * gets the batches it missed, then `caught-up`.
   */
  | { readonly type: 'events'; readonly id?: number; readonly events: readonly { readonly event: EventName; readonly payload: unknown }[] }
  /** The missed batches are sent; `complete` false when some were too old to keep (re-read everything). */
  | { readonly type: 'caught-up'; readonly lastId: number; readonly complete: boolean };

export function bridgeError(errorClass: ErrorClass, message: string): IpcError {
  return {
    class: errorClass,
    code: null,
    message,
    advice: 'Open the console from the URL it printed at start, in a browser on the same computer.',
  };
}

type Parsed =
  | { ok: true; value: { id: number; token: unknown; channel: unknown; payload: unknown } }
  | { ok: false; id: number | null; error: IpcError };

/** Checks a frame's shape only; the token, channel and payload are judged by their owners. */
export function parseClientMessage(text: string | null): Parsed {
  if (text === null) return { ok: false, id: null, error: bridgeError('bridge-message', 'Binary frames are not part of the bridge protocol.') };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, id: null, error: bridgeError('bridge-message', 'The message is not JSON.') };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, id: null, error: bridgeError('bridge-message', 'The message is not an object.') };
  }
  const m = value as Record<string, unknown>;
  const id = typeof m.id === 'number' && Number.isSafeInteger(m.id) ? m.id : null;
  if (m.type !== 'invoke' || id === null) {
    return { ok: false, id, error: bridgeError('bridge-message', 'Only invoke messages with a numeric id are accepted.') };
  }
  return { ok: true, value: { id, token: m.token, channel: m.channel, payload: m.payload } };
}

/**
 * A bridge client's bookkeeping, whatever its WebSocket (the browser's, ws in Node): numbered
 * calls waiting for their result, and event listeners. `receive` takes each server frame; `failAll`
 * answers every call still waiting (the connection closed).
 */
export interface BridgeCalls {
  /** Sends an invoke through `send` and resolves with its result's envelope. */
  invoke(send: (text: string) => void, channel: ChannelName, payload: unknown): Promise<Envelope<unknown>>;
  /** A frame from the server; events go to the listeners through `deliver` (at once by default). */
  receive(message: ServerMessage, deliver?: (fn: () => void) => void): void;
  subscribe(event: EventName, listener: (payload: unknown) => void): () => void;
  failAll(envelope: Envelope<unknown>): void;
  /** The newest numbered batch received (0: none). */
  lastEventId(): number;
}

export function createBridgeCalls(token: string, options: { lastEventId?: number; caughtUp?: (m: { lastId: number; complete: boolean }) => void } = {}): BridgeCalls {
  const pending = new Map<number, (envelope: Envelope<unknown>) => void>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let nextId = 1;
  let lastEventId = options.lastEventId ?? 0;
  return {
    invoke(send, channel, payload) {
      const id = nextId++;
      const message: InvokeMessage = { type: 'invoke', id, token, channel, payload };
      return new Promise((resolve) => {
        pending.set(id, resolve);
        send(JSON.stringify(message));
      });
    },
    receive(message, deliver = (fn) => fn()) {
      if (message.type === 'result') {
        const done = message.id === null ? undefined : pending.get(message.id);
        if (message.id !== null) pending.delete(message.id);
        done?.(message.envelope);
      } else if (message.type === 'caught-up') {
        deliver(() => options.caughtUp?.(message));
      } else {
        if (message.type === 'events' && message.id !== undefined) lastEventId = Math.max(lastEventId, message.id);
        const events = message.type === 'event' ? [message] : message.events;
        deliver(() => {
          for (const { event, payload } of events) for (const listener of listeners.get(event) ?? []) listener(payload);
        });
      }
    },
    subscribe(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    },
    failAll(envelope) {
      for (const done of pending.values()) done(envelope);
      pending.clear();
    },
    lastEventId: () => lastEventId,
  };
}
