// Wraps a Handlers map so a test can see which handlers ran, and how often.
import type { ChannelName } from '../../main/ipc/contract.js';
import type { Handlers } from '../../main/ipc/router.js';

export interface CountingHandlers {
  readonly handlers: Handlers;
  /** How many times the channel's handler was called. */
  count(channel: ChannelName): number;
  /** Total handler calls over every channel. */
  total(): number;
  /** The (already parsed) requests each handler received, in order. */
  requests(channel: ChannelName): unknown[];
}

export function countingHandlers(inner: Handlers): CountingHandlers {
  const calls = new Map<ChannelName, unknown[]>();
  const wrapped: Record<string, (request: unknown) => unknown> = {};
  for (const channel of Object.keys(inner) as ChannelName[]) {
    const handler = inner[channel] as (request: unknown) => unknown;
    wrapped[channel] = (request: unknown) => {
      const list = calls.get(channel) ?? [];
      list.push(request);
      calls.set(channel, list);
      return handler(request);
    };
  }
  return {
    handlers: wrapped as unknown as Handlers,
    count: (channel) => calls.get(channel)?.length ?? 0,
    total: () => [...calls.values()].reduce((n, list) => n + list.length, 0),
    requests: (channel) => [...(calls.get(channel) ?? [])],
  };
}
