// Events go to the windows a frame's worth at a time (both shells). A push of thousands of targets
// emits several events per target; sent one message each, the page spent its frames receiving
// them (5 000 targets: 28.9 s and 100 ms frames in the browser shell; batched: 4.9 s, 16.7 ms).
// A batch is sent EVENT_BATCH_MS after its first event, or at once by flush(): the shells flush
// before they send a request's result, so a window never applies an older state over a newer answer.
import type { EventName } from './contract.js';
import type { EventBus } from './eventBus.js';

/** One frame. */
export const EVENT_BATCH_MS = 16;

/** The Electron channel that carries a batch ([{event, payload}, …]) to the preload. */
export const IPC_EVENTS_CHANNEL = 'pic:events';

export interface BatchedEvent {
  readonly event: EventName;
  readonly payload: unknown;
}

export interface EventBatcher {
  /** Sends what has gathered now (nothing when nothing has). */
  flush(): void;
  /** Sends what has gathered and stops listening. */
  close(): void;
}

export function batchEvents(bus: EventBus, send: (events: readonly BatchedEvent[]) => void, ms = EVENT_BATCH_MS): EventBatcher {
  let batch: BatchedEvent[] = [];
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (batch.length === 0) return;
    const out = batch;
    batch = [];
    send(out);
  };
  const unsubscribe = bus.subscribe((event, payload) => {
    batch.push({ event, payload });
    timer ??= setTimeout(flush, ms);
  });
  return {
    flush,
    close() {
      unsubscribe();
      flush();
    },
  };
}
