// Events main pushes to every open window. Payloads are checked against the contract at the
// source, so a malformed event is a bug found in main, not a surprise in the renderer.
import { events, type EventName, type EventPayloadOf } from './contract.js';

export type EventListener = (event: EventName, payload: unknown) => void;

export interface EventBus {
  emit<E extends EventName>(event: E, payload: EventPayloadOf<E>): void;
  subscribe(listener: EventListener): () => void;
}

export function createEventBus(): EventBus {
  const listeners = new Set<EventListener>();
  return {
    emit(event, payload) {
      const checked = events[event].parse(payload);
      // A window that fails to take an event must not turn the caller's committed work into an error.
      for (const listener of listeners) {
        try {
          listener(event, checked);
        } catch (error) {
          console.error(`An ${event} listener failed:`, error);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
