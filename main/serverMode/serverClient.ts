// A program's connection to a Push Install Server (pushctl --server, a console's Connect to
// Server): TLS to the server's own certificate, pinned by its SHA-256 fingerprint as SSH pins a
// host key — the fingerprint is checked before a byte of the sign-in is sent, and a certificate
// other than the pinned one is refused (ServerCertificateChangedError) — then POST /api/session
// for a session token and the contract over the server's WSS bridge, with that token in
// Authorization and in every message (bridgeProtocol.ts).
import https from 'node:https';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { createApi, type ApiTransport } from '../ipc/apiClient.js';
import { createBridgeCalls, type ServerMessage } from '../ipc/bridgeProtocol.js';
import type { Envelope, IpcError, PushConsoleApi } from '../ipc/contract.js';
import { ConsoleError } from '../ipc/errors.js';
import { BRIDGE_PATH, MAX_MESSAGE_BYTES } from '../browser/bridgeServer.js';

/** The server's certificate is not the one pinned for it. */
export class ServerCertificateChangedError extends ConsoleError {
  constructor(address: string, expected: string, actual: string) {
    super(
      'server-certificate-changed',
      `The certificate of ${address} has changed: SHA-256 ${actual}, not the ${expected} pinned at the first connection. Nothing was sent to it.`,
      'If the server was reinstalled or its certificate renewed, check the new fingerprint on the server (it prints it at start, PUSHSERVER_FINGERPRINT) and pin it again; otherwise something is between you and the server.',
    );
    this.name = 'ServerCertificateChangedError';
  }
}

/** SHA-256 of the DER certificate: lower-case hex without separators (certificate.ts's form); colons and case are accepted in input. */
export function normaliseFingerprint(text: string): string {
  return text.replace(/[:\s]/g, '').toLowerCase();
}

export interface ServerAddress {
  /** https://HOST:PORT */
  readonly url: string;
  /** The pinned fingerprint; absent on a first connection (the one seen is returned to be pinned). */
  readonly fingerprint?: string;
  /** The local address to connect from (a computer with several). */
  readonly localAddress?: string;
}

/**
 * An HTTPS agent whose connections are checked against the pin before they are handed to the
 * request (or WebSocket): no request bytes are written to an unpinned server. The first
 * connection's fingerprint is kept in `seen` (trust on first use when no pin is given).
 */
export class PinningAgent extends https.Agent {
  seen: string | null = null;

  constructor(private readonly address: string, private readonly pinned: string | null) {
    super({ keepAlive: false });
  }

  override createConnection(options: tls.ConnectionOptions, callback?: (error: Error | null, socket: Duplex) => void): Duplex {
    const socket = tls.connect({ ...options, rejectUnauthorized: false });
    socket.once('secureConnect', () => {
      const actual = normaliseFingerprint(socket.getPeerCertificate().fingerprint256 ?? '');
      if (this.pinned && actual !== this.pinned) {
        const error = new ServerCertificateChangedError(this.address, this.pinned, actual);
        socket.destroy(error);
        callback?.(error, socket);
        return;
      }
      this.seen ??= actual;
      callback?.(null, socket);
    });
    socket.once('error', (error) => callback?.(error, socket));
    return undefined as unknown as Duplex;
  }
}

function serverError(error: IpcError): ConsoleError {
  return ConsoleError.fromIpcError(error);
}

export interface ServerSession {
  readonly url: string;
  readonly token: string;
  readonly user: string;
  readonly role: 'administrator' | 'operator' | 'viewer';
  /** The server certificate's fingerprint (to pin on a first connection). */
  readonly fingerprint: string;
  readonly agent: PinningAgent;
  readonly localAddress?: string;
}

/** POST /api/session: a session for the account, or the server's refusal as a ConsoleError (logon-failed, logon-throttled). */
export async function signIn(address: ServerAddress, user: string, password: string, timeoutMs = 30_000): Promise<ServerSession> {
  const base = new URL(address.url);
  if (base.protocol !== 'https:') throw new ConsoleError('invalid-request', `The server address must start with https:// (${address.url}).`, 'Use the address the server printed at start, PUSHSERVER_URL.');
  const agent = new PinningAgent(base.host, address.fingerprint ? normaliseFingerprint(address.fingerprint) : null);
  const body = JSON.stringify({ user, password });
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = https.request(
      new URL('/api/session', base),
      { method: 'POST', agent, ...(address.localAddress ? { localAddress: address.localAddress } : {}), headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new ConsoleError('timeout', `The server at ${address.url} did not answer within ${Math.round(timeoutMs / 1000)} s.`, 'Check the address and that the server is running.')));
    req.on('error', (error) => reject(error instanceof ConsoleError ? error : new ConsoleError('server-unreachable', `Could not reach the server at ${address.url}: ${error.message}`, 'Check the address and port, that the server is running, and that a firewall lets you reach it.')));
    req.end(body);
  });
  let parsed: { token?: string; user?: string; role?: ServerSession['role']; error?: IpcError };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new ConsoleError('server-unreachable', `${address.url} is not a Push Install Server (HTTP ${status}).`, 'Check the address and port.');
  }
  if (status !== 200 || !parsed.token || !parsed.user || !parsed.role) {
    throw parsed.error ? serverError(parsed.error) : new ConsoleError('server-unreachable', `The server refused the sign-in (HTTP ${status}).`, 'Check the address.');
  }
  return { url: base.origin, token: parsed.token, user: parsed.user, role: parsed.role, fingerprint: agent.seen ?? '', agent, ...(address.localAddress ? { localAddress: address.localAddress } : {}) };
}

export interface ServerConnection {
  readonly api: PushConsoleApi;
  readonly session: ServerSession;
  /** Resolves when the connection closes (the server stopped, the session ended, close()). */
  readonly closed: Promise<void>;
  /**
   * With `afterEventId`: resolves once the server has sent the event batches after it (they reach
   * the api's listeners first); `complete` false when some were too old to keep (re-read lists).
   */
  readonly caughtUp: Promise<{ lastId: number; complete: boolean }> | null;
  /** The newest numbered event batch received: the `afterEventId` of the next connection. */
  lastEventId(): number;
  close(): void;
}

function closedEnvelope(): Envelope<unknown> {
  return {
    ok: false,
    error: { class: 'bridge-closed', code: null, message: 'The connection to the Push Install Server was lost.', advice: 'Check that the server is running and reachable, then connect again.' },
  };
}

/** The contract over the server's bridge, as the session's account; `afterEventId` asks for the batches missed since. */
export async function connect(session: ServerSession, options: { afterEventId?: number } = {}): Promise<ServerConnection> {
  const after = options.afterEventId;
  const wsUrl = `${session.url.replace(/^https:/, 'wss:')}${BRIDGE_PATH}${after !== undefined ? `?after=${after}` : ''}`;
  const socket = new WebSocket(wsUrl, { agent: session.agent, ...(session.localAddress ? { localAddress: session.localAddress } : {}), headers: { authorization: `Bearer ${session.token}` }, maxPayload: MAX_MESSAGE_BYTES });
  let caughtUp: ((value: { lastId: number; complete: boolean }) => void) | null = null;
  const caughtUpPromise = after !== undefined ? new Promise<{ lastId: number; complete: boolean }>((resolve) => (caughtUp = resolve)) : null;
  const calls = createBridgeCalls(session.token, { ...(after !== undefined ? { lastEventId: after } : {}), caughtUp: (m) => caughtUp?.(m) });
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      calls.failAll(closedEnvelope());
      resolve();
    }),
  );
  // Listening before the socket opens: the missed batches may come in the same read as the upgrade.
  // Events that come before connect() has returned are held until the turn after, so listeners
  // the caller adds as soon as it has the connection hear them.
  let held: Array<() => void> | null = [];
  socket.on('message', (data) => calls.receive(JSON.parse(String(data)) as ServerMessage, (fn) => (held ? held.push(fn) : fn())));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', (error) => reject(error instanceof ConsoleError ? error : new ConsoleError('server-unreachable', `Could not open the server's bridge: ${error.message}`, 'Check that the server is running; sign in again if the session ended.')));
  });
  socket.on('error', () => undefined);
  setImmediate(() => {
    const queued = held ?? [];
    held = null;
    for (const fn of queued) fn();
  });
  const transport: ApiTransport = {
    invoke: (channel, request) =>
      socket.readyState !== WebSocket.OPEN ? Promise.resolve(closedEnvelope()) : calls.invoke((text) => socket.send(text), channel, request),
    subscribe: (event, listener) => calls.subscribe(event, listener),
  };
  return { api: createApi(transport), session, closed, caughtUp: caughtUpPromise, lastEventId: () => calls.lastEventId(), close: () => socket.close() };
}
