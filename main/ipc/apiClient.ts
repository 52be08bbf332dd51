// The renderer-side API object, built from the contract over any transport: Electron's
// ipcRenderer in the preload, the WebSocket bridge in the browser shell, an in-memory pair in
// tests. It refuses channels and events the contract does not declare before sending anything.
import {
  isChannelName,
  isEventName,
  type ChannelName,
  type Envelope,
  type EventName,
  type EventPayloadOf,
  type PushConsoleApi,
  type RequestOf,
  type ResultOf,
} from './contract.js';
import { ConsoleError } from './errors.js';

export interface ApiTransport {
  invoke(channel: ChannelName, request: unknown): Promise<Envelope<unknown>>;
  subscribe(event: EventName, listener: (payload: unknown) => void): () => void;
}

export function createApi(transport: ApiTransport): PushConsoleApi {
  return Object.freeze({
    async invoke<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResultOf<C>> {
      if (!isChannelName(channel)) {
        throw new ConsoleError('ipc-contract', `Unknown channel: ${String(channel)}`, 'The renderer asked for something the contract does not declare.');
      }
      const envelope = await transport.invoke(channel, request);
      if (envelope.ok) return envelope.result as ResultOf<C>;
      throw ConsoleError.fromIpcError(envelope.error);
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayloadOf<E>) => void): () => void {
      if (!isEventName(event)) {
        throw new ConsoleError('ipc-contract', `Unknown event: ${String(event)}`, 'The renderer listened for something the contract does not declare.');
      }
      return transport.subscribe(event, listener as (payload: unknown) => void);
    },
  });
}
