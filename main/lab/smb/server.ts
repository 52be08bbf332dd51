// One simulated Windows 11 24H2 host's SMB2/3 server: listens on the host's own
// loopback address and serves NEGOTIATE … LOGOFF, ADMIN$ (in memory, LabHostState) and IPC$
// named pipes (handed to the RPC server through PipeFactory), behaving as the host's profile says.
// A small lab gives each host a listener of its own (startLabSmbHost); a large one shares one
// listener per port among all hosts (sharedListener.ts), each host's service made at its first
// connection. Either way an idle host has no timers and no buffers until a client connects.
import crypto from 'node:crypto';
import net from 'node:net';
import type { LabHostState } from '../hostState.js';
import type { PipeFactory } from '../pipe.js';
import { AdminShare } from './adminShare.js';
import { LabSmbConnection } from './connection.js';
import type { LabHostContext } from './model.js';
import { startSilentListener } from './silentListener.js';
import { LinkThrottle } from './throttle.js';

export interface LabSmbHostOptions {
  /** The RPC server behind `\pipe\<name>` on IPC$ (null → STATUS_OBJECT_NAME_NOT_FOUND). */
  readonly pipes: PipeFactory;
  /** Disk shares besides IPC$, all backed by the host's one in-memory tree. Default ['ADMIN$']. */
  readonly shares?: readonly string[];
  readonly log?: (line: string) => void;
  /**
   * Delay before STATUS_LOGON_FAILURE: Windows 11 24H2's SMB authentication rate limiter waits
   * 2 s after each failed NTLM logon. Default 2000.
   */
  readonly logonFailureDelayMs?: number;
  /** ADMIN$ capacity: writes beyond it get STATUS_DISK_FULL. Default 64 MiB. */
  readonly maxShareBytes?: number;
  /** Connections open at once; more are closed at accept. Default 64. */
  readonly maxConnections?: number;
}

export interface LabSmbHost {
  /** Stops listening, ends every connection (their sessions end, delete-on-close applies). */
  close(): Promise<void>;
}

const DEFAULT_SHARE_BYTES = 64 * 1024 * 1024;

/** One host's SMB service without a listener: the shared listener (sharedListener.ts) or the host's own hands it connections. */
export interface LabSmbService {
  /** A connection to the host's address; closed at once when the host is closing, down or full. */
  accept(socket: net.Socket): void;
  /** Ends every connection (their sessions end, delete-on-close applies). */
  dropAll(reason: string): void;
  /** Takes no connection any more and ends every open one. */
  close(): void;
}

/** The host's SMB service: its context (GUID, ADMIN$, throttle) and its connections. */
export function createLabSmbService(state: LabHostState, options: LabSmbHostOptions): LabSmbService {
  const config = state.config;
  const sink = options.log;
  const log = sink ? (line: string) => sink(`${config.name} ${config.address}: ${line}`) : () => undefined;
  const sessionPrefix = BigInt(crypto.randomInt(1, 0xffff)) << 32n;
  let sessionCounter = 0n;
  const host: LabHostContext = {
    state,
    pipes: options.pipes,
    diskShares: new Set((options.shares ?? ['ADMIN$']).map((s) => s.toUpperCase())),
    share: new AdminShare(state, options.maxShareBytes ?? DEFAULT_SHARE_BYTES),
    serverGuid: crypto.randomBytes(16),
    throttle: config.profile === 'slow-link' ? new LinkThrottle(config.bandwidthBytesPerSec ?? 64 * 1024) : null,
    logonFailureDelayMs: options.logonFailureDelayMs ?? 2000,
    log,
    newSessionId: () => sessionPrefix + ++sessionCounter,
  };
  const maxConnections = options.maxConnections ?? 64;
  const connections = new Set<LabSmbConnection>();
  let closing = false;
  const dropAll = (reason: string) => {
    for (const c of [...connections]) c.drop(reason);
  };
  return {
    accept: (socket) => {
      socket.on('error', () => undefined);
      if (closing || state.power.state !== 'up' || connections.size >= maxConnections) {
        socket.destroy();
        return;
      }
      state.counters.connections++;
      const connection: LabSmbConnection = new LabSmbConnection(host, socket, () => connections.delete(connection));
      connections.add(connection);
    },
    dropAll,
    close: () => {
      closing = true;
      dropAll('the lab host is closing');
    },
  };
}

/** One host with its own listener on its address (a lab of up to LabOptions' shared-listener threshold). */
export async function startLabSmbHost(state: LabHostState, options: LabSmbHostOptions): Promise<LabSmbHost> {
  const config = state.config;
  const sink = options.log;
  const log = sink ? (line: string) => sink(`${config.name} ${config.address}: ${line}`) : () => undefined;
  // Nothing listens: the kernel answers the SYN with RST (connection refused).
  if (config.profile === 'offline-refused') return { close: () => Promise.resolve() };
  if (config.profile === 'offline-silent') return startSilentListener(config.address, config.port);

  const service = createLabSmbService(state, options);
  let closing = false;
  let server: net.Server | null = await listen(config.address, config.port, service.accept, log);
  let silent: Promise<{ close(): Promise<void> } | null> | null = null;
  // A restart (hostPower.ts): down → every connection dropped, nothing listens; up → a new listener.
  state.power.network = {
    down: () => {
      log('restarting: every connection dropped, not listening');
      server?.close();
      server = null;
      service.dropAll('the host is restarting');
    },
    up: () => {
      if (closing) return;
      listen(config.address, config.port, service.accept, log).then(
        (s) => {
          if (closing) s.close();
          else {
            server = s;
            log('restarted: listening again');
          }
        },
        (error: Error) => log(`after the restart: ${error.message}`),
      );
    },
    gone: () => {
      log('restarted and never came back: connects hang');
      silent = startSilentListener(config.address, config.port).catch((error: Error) => {
        log(`never-back: ${error.message}; connects are refused instead`);
        return null;
      });
    },
  };
  let closed: Promise<void> | null = null;
  return {
    close: () => {
      closed ??= (async () => {
        closing = true;
        state.power.dispose();
        const listening = server;
        server = null;
        const stopped = listening ? new Promise<void>((resolve) => listening.close(() => resolve())) : Promise.resolve();
        service.close();
        await stopped;
        await (await silent)?.close();
      })();
      return closed;
    },
  };
}

/** A listener on the host's address and port, each accepted socket handed to `accept`. */
async function listen(address: string, port: number, accept: (socket: net.Socket) => void, log: (line: string) => void): Promise<net.Server> {
  const server = net.createServer(accept);
  server.on('error', (error) => log(`listener error: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => reject(new Error(`cannot listen on ${address}:${port}: ${error.message}`));
    server.once('error', failed);
    server.listen({ host: address, port }, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return server;
}
