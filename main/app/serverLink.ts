// A console's connection to a Push Install Server (File → Connect to Server…): while connected,
// every channel of the contract but the console's own server.* is answered by the server through
// serverClient.ts — one forwarding handler per channel, made over the contract's channel list
// (remoteHandlers) — and the server's events are emitted on the bus the windows listen to, so
// every window (Electron's, the browser shell's) works on the server's data the same way. This
// console's own store and engine go on meanwhile, unseen; Disconnect shows them again.
//
// Trust: a server is pinned to its certificate's SHA-256 fingerprint on the first connection, as
// SSH pins host keys (knownServers.ts). That first connection is two steps: without a pin, only a
// TLS handshake is made and the fingerprint seen is returned for the admin to compare with the
// one the server printed (the password is not sent to a server nobody confirmed); the admin's
// confirmation (server.connect again, with that fingerprint) signs in and pins it. A certificate
// other than the pinned one is refused before anything is sent (server-certificate-changed).
//
// A lost connection (the server restarted, the network went away) turns 'reconnecting': the
// console signs in again after 1, 2, 4 … 30 s with the password it holds in memory for this
// connection only (never written anywhere, and registered as a secret so no error or log echoes
// it), and once back it tells the windows to read their lists again (data.reload). A refusal that
// waiting will not cure (the certificate changed, the password or the account no longer valid)
// ends the attempts: 'failed', with the reason, until Disconnect or a new Connect.
import tls from 'node:tls';
import net from 'node:net';
import {
  channelNames,
  eventNames,
  type AppInfo,
  type ChannelName,
  type EventName,
  type IpcError,
  type ServerRole,
  type ServerStatus,
} from '../ipc/contract.js';
import { ConsoleError, toIpcError } from '../ipc/errors.js';
import type { EventBus } from '../ipc/eventBus.js';
import type { Handlers } from '../ipc/router.js';
import { registerSecret } from '../smb/auth/secretRegistry.js';
import {
  connect as openConnection,
  normaliseFingerprint,
  signIn as serverSignIn,
  type ServerConnection,
  type ServerSession,
} from '../serverMode/serverClient.js';
import { KnownServers, serverKey } from './knownServers.js';
import { LOCAL_STATUS } from './handlers/server.js';

/** The console's own channels: answered here, never forwarded. */
export const LINK_CHANNELS = ['server.connect', 'server.disconnect', 'server.status'] as const satisfies readonly ChannelName[];
type LinkChannel = (typeof LINK_CHANNELS)[number];

/** Events that are the console's own (its menu, its connection), never taken from a server. */
const OWN_EVENTS: ReadonlySet<EventName> = new Set<EventName>(['menu.command', 'server.status', 'data.reload']);

/** 1, 2, 4, 8, 16, 30, 30 … seconds before the next attempt (`attempt` counts from 0). */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.min(attempt, 15));
}

/**
 * A forwarding handler for every channel of the contract: `call` gets the channel and the request
 * as the local router parsed it. The contract's schemas have no transforms, so a parsed request
 * is a valid request again and the server validates it as it would anyone's.
 */
export function remoteHandlers(call: (channel: ChannelName, request: unknown) => Promise<unknown>): Handlers {
  return Object.fromEntries(channelNames.map((channel) => [channel, (request: unknown) => call(channel, request)])) as unknown as Handlers;
}

/** The SHA-256 fingerprint of the certificate a TLS server presents; nothing is sent but the handshake. */
export function probeFingerprint(url: string, timeoutMs = 15_000, localAddress?: string): Promise<string> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 443);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port,
      // SNI names a host, never an address (RFC 6066 §3).
      ...(net.isIP(host) ? {} : { servername: host }),
      ...(localAddress ? { localAddress } : {}),
      // Checked by the admin against what the server printed, not against a CA.
      rejectUnauthorized: false,
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new ConsoleError('timeout', `The server at ${url} did not answer within ${Math.round(timeoutMs / 1000)} s.`, 'Check the address and that the server is running.')));
    socket.once('secureConnect', () => {
      const fingerprint = normaliseFingerprint(socket.getPeerCertificate().fingerprint256 ?? '');
      socket.destroy();
      if (/^[0-9a-f]{64}$/.test(fingerprint)) resolve(fingerprint);
      else reject(new ConsoleError('server-unreachable', `${url} presented no certificate.`, 'Check the address and port: it must be a Push Install Server.'));
    });
    socket.once('error', (error) =>
      reject(
        error instanceof ConsoleError
          ? error
          : new ConsoleError('server-unreachable', `Could not reach the server at ${url}: ${error.message}`, 'Check the address and port, that the server is running, and that a firewall lets you reach it.'),
      ),
    );
  });
}

/** What the link uses to reach servers (tests give their own). */
export interface ServerClient {
  probe(url: string): Promise<string>;
  signIn(url: string, fingerprint: string, user: string, password: string): Promise<ServerSession>;
  /** With `afterEventId`, the server first sends the event batches after it (a reconnect). */
  connect(session: ServerSession, afterEventId?: number): Promise<ServerConnection>;
}

export interface ServerLinkOptions {
  readonly dataDir: string;
  readonly shell: 'electron' | 'browser';
  /** This console's own handlers: answered while not connected. */
  readonly local: Handlers;
  /** The bus the windows listen to: the server's events, server.status and data.reload go there. */
  readonly windows: EventBus;
  readonly client?: ServerClient;
  /** The local address to connect from (a computer with several; tests). */
  readonly localAddress?: string;
  readonly reconnectDelayMs?: (attempt: number) => number;
  readonly log?: (line: string, level: 'info' | 'warning' | 'error') => void;
  readonly now?: () => Date;
}

export interface ServerLink {
  /** Every channel: server.* here, the rest to the server while connected, to `local` otherwise. */
  readonly handlers: Handlers;
  /** Whether the windows see this console's own store and engine. */
  isLocal(): boolean;
  status(): ServerStatus;
  close(): Promise<void>;
}

/** Refusals that waiting does not cure: the attempts stop. */
const PERMANENT: ReadonlySet<string> = new Set(['server-certificate-changed', 'logon-failed', 'forbidden', 'invalid-request']);

interface Account {
  readonly url: string;
  readonly user: string;
  /** Held for this connection only, to sign in again after a loss. */
  readonly password: string;
  readonly fingerprint: string;
  role: ServerRole;
}

export function createServerLink(options: ServerLinkOptions): ServerLink {
  const known = new KnownServers(options.dataDir, options.now);
  const client: ServerClient = options.client ?? {
    probe: (url) => probeFingerprint(url, 15_000, options.localAddress),
    signIn: (url, fingerprint, user, password) => serverSignIn({ url, fingerprint, ...(options.localAddress ? { localAddress: options.localAddress } : {}) }, user, password),
    connect: (session, afterEventId) => openConnection(session, afterEventId !== undefined ? { afterEventId } : {}),
  };
  const delay = options.reconnectDelayMs ?? reconnectDelayMs;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => undefined);

  let account: Account | null = null;
  let connection: ServerConnection | null = null;
  /** The newest event batch the lost connection delivered: the reconnect asks for what came after. */
  let lastEventId: number | undefined;
  let offEvents: (() => void) | null = null;
  let state: ServerStatus['state'] = 'local';
  let lastError: IpcError | null = null;
  let attempts = 0;
  let nextAttemptAt: Date | null = null;
  let timer: NodeJS.Timeout | null = null;
  /** Bumped by every connect and disconnect: an attempt started before one is dropped. */
  let generation = 0;

  const status = (): ServerStatus =>
    account
      ? { state, url: account.url, user: account.user, role: account.role, fingerprint: account.fingerprint, lastError, attempts, nextAttemptAt: nextAttemptAt?.toISOString() ?? null }
      : { ...LOCAL_STATUS };
  const announce = () => options.windows.emit('server.status', status());

  const drop = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    offEvents?.();
    offEvents = null;
    const closing = connection;
    connection = null;
    closing?.close();
  };

  /** Takes a fresh connection into use: the server's events to the windows, its loss watched. */
  const adopt = (opened: ServerConnection, gen: number) => {
    connection = opened;
    const offs = eventNames
      .filter((event) => !OWN_EVENTS.has(event))
      .map((event) =>
        opened.api.on(event, (payload) => {
          try {
            options.windows.emit(event, payload as never);
          } catch (error) {
            log(`The server sent a ${event} event this console does not understand: ${error instanceof Error ? error.message : String(error)}`, 'warning');
          }
        }),
      );
    offEvents = () => offs.forEach((off) => off());
    void opened.closed.then(() => {
      if (gen !== generation || connection !== opened) return;
      lastEventId = opened.lastEventId() || undefined;
      offEvents?.();
      offEvents = null;
      connection = null;
      state = 'reconnecting';
      attempts = 0;
      lastError = { class: 'bridge-closed', code: null, message: `The connection to ${account?.url ?? 'the server'} was lost.`, advice: 'The console reconnects by itself; File → Disconnect works on this console\'s own store meanwhile.' };
      log(`The connection to ${account?.url} was lost; reconnecting.`, 'warning');
      schedule(gen);
    });
  };

  const schedule = (gen: number) => {
    const wait = delay(attempts);
    nextAttemptAt = new Date(now().getTime() + wait);
    announce();
    timer = setTimeout(() => void reconnect(gen), wait);
    timer.unref?.();
  };

  const reconnect = async (gen: number) => {
    timer = null;
    const a = account;
    if (!a || gen !== generation) return;
    attempts++;
    try {
      const session = await client.signIn(a.url, a.fingerprint, a.user, a.password);
      // The events missed meanwhile come first (log lines, progress), then the windows re-read their lists.
      const opened = await client.connect(session, lastEventId);
      if (gen !== generation) {
        opened.close();
        return;
      }
      a.role = session.role;
      adopt(opened, gen);
      state = 'connected';
      lastError = null;
      attempts = 0;
      nextAttemptAt = null;
      log(`Connected to ${a.url} again as ${a.user} (${a.role}).`, 'info');
      announce();
      options.windows.emit('data.reload', { reason: 'reconnected' });
    } catch (error) {
      if (gen !== generation) return;
      lastError = toIpcError(error);
      if (PERMANENT.has(lastError.class)) {
        state = 'failed';
        nextAttemptAt = null;
        log(`Reconnecting to ${a.url} stopped: ${lastError.message}`, 'error');
        announce();
        return;
      }
      schedule(gen);
    }
  };

  const notAvailable = (): ConsoleError => {
    const a = account!;
    if (state === 'failed' && lastError) return new ConsoleError('server-unreachable', `Not connected to ${a.url}: ${lastError.message}`, lastError.advice);
    return new ConsoleError(
      'server-unreachable',
      `The connection to ${a.url} was lost; reconnecting${attempts ? ` (attempt ${attempts + 1})` : ''}.`,
      'Wait for the console to reconnect, or File → Disconnect from Server to work on this console\'s own store.',
    );
  };

  const forward = async (channel: ChannelName, request: unknown): Promise<unknown> => {
    const c = connection;
    const a = account;
    if (!c || !a || state !== 'connected') throw notAvailable();
    const result = await c.api.invoke(channel, request as never);
    if (channel !== 'app.info') return result;
    // Who this console is on which server, as it connected (the address it pinned); its own shell.
    const info = result as AppInfo;
    return { ...info, shell: options.shell, server: { url: a.url, user: a.user, role: info.server?.role ?? a.role, fingerprint: a.fingerprint } } satisfies AppInfo;
  };
  const remote = remoteHandlers(forward);

  const own: Pick<Handlers, LinkChannel> = {
    'server.connect': async (request) => {
      const url = serverKey(request.url);
      const pinned = known.get(url);
      const given = request.fingerprint ? normaliseFingerprint(request.fingerprint) : null;
      if (!pinned && !given) {
        // Step one: the handshake only; nothing is sent, nothing kept.
        return { needsConfirmation: true as const, url, fingerprint: await client.probe(url) };
      }
      if (pinned && given && given !== pinned.fingerprint) {
        throw new ConsoleError(
          'server-certificate-changed',
          `${url} is pinned to the certificate SHA-256 ${pinned.fingerprint} (since ${pinned.pinnedAt || 'its first connection'}), not ${given}. Nothing was sent to it.`,
          `If the server was reinstalled or its certificate renewed, check its new fingerprint on the server, remove its line from ${known.file} and connect again to confirm the new one.`,
        );
      }
      const fingerprint = pinned?.fingerprint ?? given!;
      registerSecret(request.password);
      const session = await client.signIn(url, fingerprint, request.user, request.password);
      const opened = await client.connect(session);
      if (!pinned) known.pin(url, fingerprint);
      // The new connection replaces whatever was there (another server, a reconnecting one).
      generation++;
      drop();
      const gen = generation;
      account = { url, user: session.user, password: request.password, fingerprint, role: session.role };
      adopt(opened, gen);
      state = 'connected';
      lastError = null;
      attempts = 0;
      nextAttemptAt = null;
      log(`Connected to ${url} as ${session.user} (${session.role}).`, 'info');
      announce();
      options.windows.emit('data.reload', { reason: 'connected' });
      return { needsConfirmation: false as const, url, user: session.user, role: session.role, fingerprint, firstContact: !pinned };
    },
    'server.disconnect': () => {
      const was = account;
      generation++;
      drop();
      account = null;
      state = 'local';
      lastError = null;
      attempts = 0;
      nextAttemptAt = null;
      if (was) {
        log(`Disconnected from ${was.url}; this console works on its own store again.`, 'info');
        announce();
        options.windows.emit('data.reload', { reason: 'disconnected' });
      }
      return status();
    },
    'server.status': () => status(),
  };

  const handlers = Object.fromEntries(
    channelNames.map((channel) => {
      if ((LINK_CHANNELS as readonly string[]).includes(channel)) return [channel, own[channel as LinkChannel]];
      const localHandler = options.local[channel] as (request: unknown) => unknown;
      const remoteHandler = remote[channel] as (request: unknown) => unknown;
      return [channel, (request: unknown) => (account ? remoteHandler(request) : localHandler(request))];
    }),
  ) as unknown as Handlers;

  return {
    handlers,
    isLocal: () => account === null,
    status,
    async close() {
      generation++;
      drop();
      account = null;
      state = 'local';
    },
  };
}
