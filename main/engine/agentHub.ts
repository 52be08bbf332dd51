// Routes the package server's agent events to the push waiting for that target.
import type { AgentEvent } from '../server/packageServer.js';

export type AgentListener = (event: AgentEvent) => void;

export class AgentHub {
  private readonly listeners = new Map<number, Set<AgentListener>>();

  readonly publish = (event: AgentEvent): void => {
    for (const listener of this.listeners.get(event.targetId) ?? []) listener(event);
  };

  subscribe(targetId: number, listener: AgentListener): () => void {
    let set = this.listeners.get(targetId);
    if (!set) this.listeners.set(targetId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(targetId);
    };
  }
}
