// The limits every address is held to on the package server, before any route runs: a global and
// a per-address cap on connections (counted at TCP, before TLS costs anything), idle and
// first-request timeouts (slowloris), and a per-address token bucket on requests.
import type net from 'node:net';
import type { Refuse } from './refusalLog.js';

export interface ConnectionLimitOptions {
  readonly maxConnections: number;
  readonly maxPerAddress: number;
  readonly idleTimeoutMs: number;
  /** The TLS handshake and the first request's headers must arrive within this. */
  readonly firstRequestTimeoutMs: number;
  readonly refuse: Refuse;
}

/** The server's open connections: accept() each new one (or destroy it over a cap). */
export function connectionLimits(o: ConnectionLimitOptions) {
  const perAddress = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const firstRequestTimers = new WeakMap<net.Socket, NodeJS.Timeout>();
  return {
    /** For the server's 'connection' event. */
    accept(socket: net.Socket): void {
      const address = socket.remoteAddress ?? '?';
      if (sockets.size >= o.maxConnections) {
        socket.destroy();
        o.refuse('overGlobalCap', address, `refused a connection from ${address}: the server holds ${o.maxConnections} connections already`);
        return;
      }
      const count = (perAddress.get(address) ?? 0) + 1;
      if (count > o.maxPerAddress) {
        socket.destroy();
        o.refuse('overAddressCap', address, `refused a connection from ${address}: over ${o.maxPerAddress} at once`);
        return;
      }
      perAddress.set(address, count);
      sockets.add(socket);
      socket.setTimeout(o.idleTimeoutMs, () => socket.destroy());
      // A client must finish its TLS handshake and first request headers within the bound (slowloris).
      const firstRequest = setTimeout(() => socket.destroy(), o.firstRequestTimeoutMs);
      firstRequestTimers.set(socket, firstRequest);
      socket.once('close', () => {
        clearTimeout(firstRequest);
        sockets.delete(socket);
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left <= 0) perAddress.delete(address);
        else perAddress.set(address, left);
      });
    },
    /** A request arrived on `socket` (the TLS one): its connection's first-request bound is met. */
    requestArrived(socket: net.Socket): void {
      // The TLS socket wraps the TCP one the 'connection' timer belongs to.
      const tcp = (socket as unknown as { _parent?: net.Socket })._parent ?? socket;
      clearTimeout(firstRequestTimers.get(tcp));
    },
    destroyAll(): void {
      for (const socket of sockets) socket.destroy();
    },
  };
}

/**
 * A token bucket per address: `burst` requests at once, refilled at `rate` a second. take() is 0
 * when the request may go on, else the seconds to wait (Retry-After). Without a rate (or with a
 * rate that is not a positive finite number) every request goes on. Buckets that have refilled are
 * dropped every 10 s, on the next request (no timer).
 */
export function requestRateLimit(rate: number | undefined, burstOption: number | undefined) {
  if (rate === undefined || !Number.isFinite(rate) || rate <= 0) return { take: (_address: string): number => 0, describe: 'no limit' };
  const burst = Math.max(1, Math.floor(burstOption ?? rate * 5));
  const buckets = new Map<string, { tokens: number; at: number }>();
  let lastSweep = performance.now();
  return {
    describe: `${rate} requests a second (burst ${burst})`,
    take(address: string): number {
      const now = performance.now();
      if (now - lastSweep > 10_000) {
        lastSweep = now;
        for (const [key, b] of buckets) if (b.tokens + ((now - b.at) / 1000) * rate >= burst) buckets.delete(key);
      }
      let bucket = buckets.get(address);
      if (!bucket) {
        bucket = { tokens: burst, at: now };
        buckets.set(address, bucket);
      }
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
      bucket.at = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
    },
  };
}
