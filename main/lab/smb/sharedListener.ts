// A large lab's one listener (LabOptions.listen 'shared'): one listening socket on the lab's port
// accepts for every host and tells the hosts apart by the local address the client connected to
// (socket.localAddress). A listener per host costs a file descriptor each, which 20 000+ hosts do
// not fit (RLIMIT_NOFILE is 20 000 on the CI machine, soft = hard).
//
// The binding, and what was checked on this machine (Linux 6.x, Node 22.23) before building on it:
// - No bind covers just 127.0.0.0/8, so the listener binds 0.0.0.0:port. Every 127.x address is
//   local on Linux (the whole /8 is routed to lo): a connect to 127.60.255.230:port reached it,
//   with that address as socket.localAddress.
// - 0.0.0.0 also listens on every other interface. So the LOOPBACK FILTER BELOW IS MANDATORY: a
//   connection whose remote or local address is not 127.0.0.0/8 (or ::1) is reset at once, before
//   any byte is sent; the lab never sends anything to any other address.
// - offline-silent hosts keep their own exact-address listener with a full accept queue
//   (silentListener.ts) beside the wildcard one on the same port. Linux refuses that second LISTEN
//   bind (EADDRINUSE, in either order) unless both sockets set SO_REUSEPORT — Node 22.12+
//   `listen({ reusePort: true })`, which works here. Both then listen, and the kernel prefers the
//   exact local-address match (its listener lookup tries the connected-to address before
//   INADDR_ANY; the two are not one reuseport group, which needs equal addresses): connects to
//   a silent address hang to the client's bound while its neighbours are served by the wildcard.
// - offline-refused hosts cannot be "nothing listens" on the lab's port under a wildcard
//   listener, so each is reported on the lab's refused port (LabOptions.refusedPort, the lab's
//   port + 1 by default), which the lab never binds and checks free at start: ECONNREFUSED there.
//   A connect to such a host on the lab's port is accepted and reset at once.
// - SO_REUSEPORT also lets another wildcard listener of the same user (a second lab on the port)
//   bind without an error and take a share of the connections: a plain listener is bound and
//   closed first, which fails with EADDRINUSE when anything listens on the port on any address.
// - A restarting host (hostPower.ts) cannot refuse SYNs either: its connections are reset at
//   accept (the client sees ECONNRESET right after connecting) until it is up again; a never-back
//   host gets a silent exact-address listener, as a silent host has.
// Each host's SMB service (server.ts) is made at its first connection: an idle host costs no
// socket, timer, buffer or service object here, only its LabHostState.
import net from 'node:net';
import type { LabHostState } from '../hostState.js';
import { createLabSmbService, type LabSmbHostOptions, type LabSmbService } from './server.js';
import { startSilentListener } from './silentListener.js';

export interface SharedLabSmb {
  /** Stops listening, ends every connection, closes the silent hosts' listeners. */
  close(): Promise<void>;
}

type Closable = { close(): Promise<void> };

/** 127.0.0.0/8 (also as ::ffff:127.x) or ::1. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** The listener of every host on `port`, and the exact-address listeners of the offline-silent ones. */
export async function startSharedLabSmb(hosts: readonly LabHostState[], port: number, options: LabSmbHostOptions): Promise<SharedLabSmb> {
  const byAddress = new Map<string, LabHostState>();
  for (const h of hosts) byAddress.set(h.config.address, h);
  const services = new Map<LabHostState, LabSmbService>();
  const silent: Promise<Closable | null>[] = [];
  let closing = false;
  const log = (state: LabHostState, line: string) => options.log?.(`${state.config.name} ${state.config.address}: ${line}`);

  const serviceOf = (state: LabHostState): LabSmbService => {
    let service = services.get(state);
    if (service) return service;
    const made = createLabSmbService(state, options);
    services.set(state, made);
    // A restart (hostPower.ts): down → every connection dropped, new ones reset at accept; up → served again.
    state.power.network = {
      down: () => {
        log(state, 'restarting: every connection dropped, new ones reset');
        made.dropAll('the host is restarting');
      },
      up: () => log(state, 'restarted: answering again'),
      gone: () => {
        log(state, 'restarted and never came back: connects hang');
        if (closing) return;
        silent.push(
          startSilentListener(state.config.address, port, { reusePort: true }).catch((error: Error) => {
            log(state, `never-back: ${error.message}; connects are reset instead`);
            return null;
          }),
        );
      },
    };
    service = made;
    return service;
  };

  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    // Mandatory: the wildcard listener also listens on every non-loopback interface.
    if (!isLoopback(socket.remoteAddress) || !isLoopback(socket.localAddress)) {
      socket.resetAndDestroy();
      return;
    }
    const local = socket.localAddress!.startsWith('::ffff:') ? socket.localAddress!.slice(7) : socket.localAddress!;
    const state = byAddress.get(local);
    // Not a lab host, a refused or silent one (its own port or listener), closing, or restarting.
    if (closing || !state || state.config.profile === 'offline-refused' || state.config.profile === 'offline-silent' || state.power.state !== 'up') {
      socket.resetAndDestroy();
      return;
    }
    serviceOf(state).accept(socket);
  });
  server.on('error', (error) => options.log?.(`shared listener on port ${port}: ${error.message}`));
  // SO_REUSEPORT would let a second wildcard listener of this user (another lab on the port) share
  // the connections without an error: a plain listener first proves the port free on every address.
  await listenOn(net.createServer(), port, false).then((probe) => new Promise((resolve) => probe.close(resolve)));
  await listenOn(server, port, true);

  const close = async (): Promise<void> => {
    closing = true;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const service of services.values()) service.close();
    await stopped;
    await Promise.all(silent.map(async (s) => (await s)?.close()));
  };
  try {
    const quiet = hosts.filter((h) => h.config.profile === 'offline-silent');
    for (let i = 0; i < quiet.length; i += 100) {
      const batch = quiet.slice(i, i + 100).map((h) => startSilentListener(h.config.address, port, { reusePort: true }));
      silent.push(...batch.map((p) => p.catch(() => null)));
      await Promise.all(batch);
    }
  } catch (error) {
    await close();
    throw error;
  }
  let closed: Promise<void> | null = null;
  return { close: () => (closed ??= close()) };
}

/** Listens on 0.0.0.0:port; errors keep their code (EADDRINUSE, EACCES). */
function listenOn(server: net.Server, port: number, reusePort: boolean): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      const wrapped: NodeJS.ErrnoException = new Error(`cannot listen on 0.0.0.0:${port} (the lab's shared listener): ${error.message}`);
      if (error.code !== undefined) wrapped.code = error.code;
      reject(wrapped);
    };
    server.once('error', failed);
    server.listen({ host: '0.0.0.0', port, reusePort, backlog: 4096 }, () => {
      server.off('error', failed);
      resolve(server);
    });
  });
}
