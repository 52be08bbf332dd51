// The browser shell's server: the renderer's files and a WebSocket bridge that carries the same
// IPC contract as Electron's ipcMain, to the same router. It listens on 127.0.0.1 only and
// trusts nothing by address alone:
// - a random token per launch is required on the page load (?token=, which then sets a
//   same-site HttpOnly cookie for the page's own assets and reloads) and inside every message;
// - Host must name this server (DNS-rebinding guard) and Origin, when sent, must be this server.
// The Push Install Server serves the same bridge over TLS to consoles on other computers
// (main/serverMode/server.ts): then there is no launch token but a session per signed-in server
// account (`auth`), got from the sign-in page or POST /api/session, and each connection's router
// knows who is calling and from where.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventBus } from '../ipc/eventBus.js';
import { batchEvents, type BatchedEvent, type EventBatcher } from '../ipc/eventBatch.js';
import type { IpcRouter } from '../ipc/router.js';
import { bridgeError, parseClientMessage, type ServerMessage } from '../ipc/bridgeProtocol.js';
import type { IpcError } from '../ipc/contract.js';

export const TOKEN_COOKIE = 'pic_token';
export const BRIDGE_PATH = '/bridge';
/**
 * The largest message either way: the largest requests the contract allows must fit — a task of
 * 50 000 targets (~2 MB of JSON), an 8 MB paste of computers — and nothing more (ws closes the
 * socket with 1009 beyond it).
 */
export const MAX_MESSAGE_BYTES = 12 * 1024 * 1024;

/** A signed-in server account. */
export interface Principal {
  readonly user: string;
  readonly role: 'administrator' | 'operator' | 'viewer';
}

/** Who is on the other end of a bridge connection: the account (none for the local console's launch token) and its address. */
export interface Caller {
  readonly principal: Principal | null;
  readonly address: string;
}

export type SignInResult =
  | { readonly ok: true; readonly token: string; readonly principal: Principal }
  | { readonly ok: false; readonly status: 401 | 429; readonly error: IpcError };

/** The server's accounts and sessions (main/serverMode/sessions.ts). */
export interface BridgeAuth {
  signIn(user: string, password: string, address: string): Promise<SignInResult>;
  /** The account a session token belongs to, while the session lasts. */
  session(token: string): Principal | null;
  signOut(token: string): void;
}

export interface BridgeServerOptions {
  readonly router: (origin: string, caller: Caller) => IpcRouter;
  readonly events: EventBus;
  /** Folder holding the built renderer (index.html and its assets). */
  readonly rendererDir: string;
  readonly port?: number;
  /** The loopback address to listen on; default 127.0.0.1 (the shell allows only 127.x.y.z). */
  readonly host?: string;
  /** Tests may fix the token; a launch never does. */
  readonly token?: string;
  /** HTTPS and WSS with this certificate (the server); plain HTTP on loopback otherwise. */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** Server accounts instead of a launch token. */
  readonly auth?: BridgeAuth;
  /**
   * Any address may be listened on and any Host named (a server reached by its name or address);
   * Origin, when sent, must still be this server as the Host names it.
   */
  readonly network?: boolean;
  /** The server's numbered event batches (serverMode/eventLog.ts): stored before they are sent, replayed to a console that reconnects with ?after=<id>, and other servers' forwarded. */
  readonly eventLog?: BridgeEventLog;
}

export interface BridgeEventLog {
  append(events: readonly BatchedEvent[]): number;
  since(afterId: number): { batches: { id: number; events: readonly BatchedEvent[] }[]; complete: boolean };
  onRemote(listener: (batch: { id: number; events: readonly BatchedEvent[] }) => void): () => void;
}

export interface BridgeServer {
  readonly origin: string;
  readonly token: string;
  /** The URL to open: origin + token. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

function tokensEqual(expected: string, actual: unknown): boolean {
  if (typeof actual !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(actual);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return rest.join('=');
  }
  return undefined;
}

/**
 * The page's content security policy, the same as renderer/index.html's <meta> but
 * for what only a header can say: scripts from the console's own files only (no inline script,
 * no eval), connections to this server and its bridge only, nothing remote, no plugins, frames,
 * workers, <base> or form posts; the page may not be framed; and a sandbox without
 * allow-popups, so window.open and target=_blank open nothing (Electron's window denies them in
 * main/electron/windowPolicy.ts). Styles stay 'unsafe-inline': MUI's emotion writes <style>.
 */
export function contentSecurityPolicy(hostHeader: string, secure = false): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self' ${secure ? 'wss' : 'ws'}://${hostHeader}`,
    "object-src 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    'sandbox allow-scripts allow-same-origin allow-downloads',
  ].join('; ');
}

/** Sent with every HTTP response of the server, the page, its assets and refusals alike. */
function securityHeaders(hostHeader: string, secure = false): http.OutgoingHttpHeaders {
  return {
    'content-security-policy': contentSecurityPolicy(hostHeader, secure),
    ...(secure ? { 'strict-transport-security': 'max-age=31536000' } : {}),
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

export async function startBridgeServer(options: BridgeServerOptions): Promise<BridgeServer> {
  // 256 random bits, new at each launch: too many to guess.
  const token = options.token ?? crypto.randomBytes(32).toString('base64url');
  const rendererDir = path.resolve(options.rendererDir);
  const indexFile = path.join(rendererDir, 'index.html');
  if (!fs.existsSync(indexFile)) {
    throw new Error(`The renderer is not built (${indexFile} is missing). Run: npm run build`);
  }
  const secure = options.tls !== undefined;
  const ctx: BridgeContext = {
    token, rendererDir, indexFile, origin: '', hostHeader: '', secure, network: options.network === true, auth: options.auth ?? null,
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => serveHttp(ctx, req, res);
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const clients = new Set<WebSocket>();
  // A frame's worth of events per message (eventBatch.ts); `send` flushes before each result.
  const broadcast = (message: ServerMessage) => {
    const text = JSON.stringify(message);
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
  };
  const eventLog = options.eventLog;
  const batcher = batchEvents(options.events, (batch) => {
    if (!eventLog) return broadcast(batch.length === 1 ? { type: 'event', ...batch[0]! } : { type: 'events', events: batch });
    let id: number | undefined;
    try {
      id = eventLog.append(batch);
    } catch {
      // The database is away: the consoles still get the batch now, unnumbered (a reconnect re-reads their lists).
    }
    broadcast({ type: 'events', ...(id !== undefined ? { id } : {}), events: batch });
  });
  const stopRemote = eventLog?.onRemote((batch) => broadcast({ type: 'events', id: batch.id, events: batch.events }));

  server.on('upgrade', (req, socket, head) => {
    const problem = upgradeProblem(ctx, req);
    if (problem) {
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${problem}\n`);
      return;
    }
    const connectionToken = requestToken(ctx, req)!;
    const after = Number(requestUrl(ctx, req)?.searchParams.get('after') ?? NaN);
    wss.handleUpgrade(req, socket, head, (ws) => {
      // The batches this console missed, before it hears new ones (one turn of the event loop: none can come between).
      if (eventLog && Number.isSafeInteger(after) && after >= 0) {
        try {
          const missed = eventLog.since(after);
          for (const batch of missed.batches) ws.send(JSON.stringify({ type: 'events', id: batch.id, events: batch.events } satisfies ServerMessage));
          const lastId = missed.batches.at(-1)?.id ?? after;
          ws.send(JSON.stringify({ type: 'caught-up', lastId, complete: missed.complete } satisfies ServerMessage));
        } catch {
          ws.send(JSON.stringify({ type: 'caught-up', lastId: after, complete: false } satisfies ServerMessage));
        }
      }
      serveBridge(ctx, ws, connectionToken, { clients, batcher, router: options.router, address: req.socket.remoteAddress ?? '' });
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  ctx.hostHeader = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  ctx.origin = `${secure ? 'https' : 'http'}://${ctx.hostHeader}`;

  return {
    origin: ctx.origin,
    token,
    port,
    url: ctx.auth ? `${ctx.origin}/` : `${ctx.origin}/?token=${token}`,
    async close() {
      stopRemote?.();
      batcher.close();
      for (const ws of clients) ws.terminate();
      wss.close();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What the server's handlers share: the launch's token or the accounts, the renderer's files, and this server's address (set once it listens). */
interface BridgeContext {
  readonly token: string;
  readonly rendererDir: string;
  readonly indexFile: string;
  readonly secure: boolean;
  readonly network: boolean;
  readonly auth: BridgeAuth | null;
  origin: string;
  hostHeader: string;
}

/** The origin a request's own Host names: this server's on loopback, whatever name the server was reached by on a network. */
function originOf(ctx: BridgeContext, req: http.IncomingMessage): string {
  return ctx.network && req.headers.host ? `${ctx.secure ? 'https' : 'http'}://${req.headers.host}` : ctx.origin;
}

/** Host must be this server; Origin, when the browser sends one, must be this server too. */
function checkHostAndOrigin(ctx: BridgeContext, req: http.IncomingMessage): string | null {
  if (ctx.network ? !req.headers.host : req.headers.host !== ctx.hostHeader) return `Host "${req.headers.host ?? ''}" is not this console`;
  const requestOrigin = req.headers.origin;
  if (requestOrigin !== undefined && requestOrigin !== originOf(ctx, req)) return `Origin "${requestOrigin}" is not this console`;
  // Browsers say where a request comes from even when they send no Origin (navigations):
  // only a typed/opened URL ("none") or the console's own page ("same-origin") may load it.
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'none' && site !== 'same-origin') return `a ${site} request is not allowed`;
  return null;
}

/** Whether a token opens the bridge: the launch's token, or a live session of a server account. */
function tokenValid(ctx: BridgeContext, candidate: unknown): boolean {
  if (typeof candidate !== 'string' || candidate === '') return false;
  return ctx.auth ? ctx.auth.session(candidate) !== null : tokensEqual(ctx.token, candidate);
}

/** The token a request carries: its cookie, an Authorization: Bearer header (programs), or ?token= (the bridge URL). */
function requestToken(ctx: BridgeContext, req: http.IncomingMessage): string | null {
  const bearer = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(req.headers.authorization ?? '')?.[1];
  for (const candidate of [cookieToken(req.headers.cookie), bearer, requestUrl(ctx, req)?.searchParams.get('token') ?? undefined]) {
    if (tokenValid(ctx, candidate)) return candidate!;
  }
  return null;
}

function refuse(ctx: BridgeContext, res: http.ServerResponse, status: number, why: string): void {
  res.writeHead(status, { ...securityHeaders(ctx.hostHeader, ctx.secure), 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${status}: ${why}\n`);
}

/** The request's URL, or null for one no browser sends (a malformed target or escape, a NUL). */
function requestUrl(ctx: BridgeContext, req: http.IncomingMessage): URL | null {
  try {
    const url = new URL(req.url ?? '/', ctx.origin);
    const decoded = decodeURIComponent(url.pathname);
    return decoded.includes('\0') ? null : url;
  } catch {
    return null;
  }
}

/** An HTTP request: sign-in (server), the page (trading a ?token= for the cookie) or one of its assets, for a caller with the cookie. */
function serveHttp(ctx: BridgeContext, req: http.IncomingMessage, res: http.ServerResponse): void {
  const problem = checkHostAndOrigin(ctx, req);
  if (problem) return refuse(ctx, res, 403, problem);
  const url = requestUrl(ctx, req);
  if (!url) return refuse(ctx, res, 400, 'malformed request');
  if (ctx.auth && (url.pathname === '/signin' || url.pathname === '/api/session' || url.pathname === '/signout')) return void serveSession(ctx, ctx.auth, req, res, url);
  if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(ctx, res, 405, 'method not allowed');
  const cookie = cookieToken(req.headers.cookie);
  const hasCookie = tokenValid(ctx, cookie);
  if (url.pathname === '/' || url.pathname === '/index.html') {
    if (ctx.auth && !hasCookie) return redirect(ctx, res, '/signin');
    return servePage(ctx, req, res, ctx.auth ? null : url.searchParams.get('token'), hasCookie ? cookie! : null);
  }
  if (!hasCookie) return refuse(ctx, res, 403, 'a token is required');
  serveAsset(ctx, req, res, url);
}

function redirect(ctx: BridgeContext, res: http.ServerResponse, location: string, cookie?: string): void {
  res.writeHead(303, { ...securityHeaders(ctx.hostHeader, ctx.secure), location, 'cache-control': 'no-store', ...(cookie !== undefined ? { 'set-cookie': cookie } : {}) });
  res.end();
}

function sessionCookie(ctx: BridgeContext, value: string, clear = false): string {
  return `${TOKEN_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/${ctx.secure ? '; Secure' : ''}${clear ? '; Max-Age=0' : ''}`;
}

/** The page: a ?token= is traded for the cookie (303 to /); with the cookie, index.html with the token in a <meta>. */
function servePage(ctx: BridgeContext, req: http.IncomingMessage, res: http.ServerResponse, queryToken: string | null, cookie: string | null): void {
  if (queryToken !== null) {
    if (!tokensEqual(ctx.token, queryToken)) return refuse(ctx, res, 403, 'wrong token: open the URL the console printed');
    // Trade the token in the URL for a cookie, so it leaves the address bar and history.
    return redirect(ctx, res, '/', sessionCookie(ctx, ctx.token));
  }
  if (cookie === null) return refuse(ctx, res, 403, 'a token is required: open the URL the console printed');
  const html = fs
    .readFileSync(ctx.indexFile, 'utf8')
    .replace('<head>', `<head><meta name="pic-bridge-token" content="${cookie}">`);
  res.writeHead(200, {
    ...securityHeaders(ctx.hostHeader, ctx.secure),
    'content-type': CONTENT_TYPES['.html']!,
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : html);
}

/** One of the renderer's files, never one outside its folder. */
function serveAsset(ctx: BridgeContext, req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
  const file = path.resolve(ctx.rendererDir, '.' + decodeURIComponent(url.pathname));
  if (!file.startsWith(ctx.rendererDir + path.sep)) return refuse(ctx, res, 404, 'not found');
  fs.stat(file, (err, stat) => {
    if (err || !stat.isFile()) return refuse(ctx, res, 404, 'not found');
    res.writeHead(200, {
      ...securityHeaders(ctx.hostHeader, ctx.secure),
      'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': stat.size,
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file).pipe(res);
  });
}

/** The largest sign-in body read: a name and a password, form- or JSON-encoded. */
const MAX_SIGN_IN_BYTES = 8 * 1024;

function readBody(req: http.IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_SIGN_IN_BYTES) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}

/** The sign-in page: a form and nothing else (no script), with the reason the last attempt failed. */
function signInPage(ctx: BridgeContext, res: http.ServerResponse, status: number, message: string | null): void {
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in — Push Install Server</title>
<style>body{font-family:system-ui,sans-serif;background:#f3f3f3;display:flex;justify-content:center;padding-top:10vh}
form{background:#fff;padding:24px 28px;border:1px solid #ccc;min-width:320px}label{display:block;margin:12px 0 4px}
input{width:100%;box-sizing:border-box;padding:6px}button{margin-top:18px;padding:6px 18px}.error{color:#a80000;margin-top:12px}</style></head>
<body><form method="post" action="/signin"><h1 style="font-size:18px;margin:0">Push Install Server</h1>
<label for="user">User name</label><input id="user" name="user" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
${message ? `<div class="error" role="alert">${escape(message)}</div>` : ''}<button type="submit">Sign in</button></form></body></html>`;
  res.writeHead(status, {
    ...securityHeaders(ctx.hostHeader, ctx.secure),
    // The one page that posts a form, and runs no script.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; sandbox allow-forms allow-same-origin",
    // Under no-referrer a browser posts the form with `Origin: null` (Fetch, "serializing a request
    // origin"), which the Origin check refuses; same-origin sends this server's origin and still
    // nothing to other sites.
    'referrer-policy': 'same-origin',
    'content-type': CONTENT_TYPES['.html']!,
    'cache-control': 'no-store',
  });
  res.end(html);
}

function sendJson(ctx: BridgeContext, res: http.ServerResponse, status: number, body: unknown, extra: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { ...securityHeaders(ctx.hostHeader, ctx.secure), 'content-type': 'application/json', 'cache-control': 'no-store', ...extra });
  res.end(JSON.stringify(body));
}

/**
 * Sessions: GET /signin (the form), POST /signin (the form's post: a cookie and 303 to the
 * console), POST /api/session (JSON {user, password} → {token, user, role}: programs and the
 * console's Connect to Server), DELETE /api/session or POST /signout (the session ends).
 */
async function serveSession(ctx: BridgeContext, auth: BridgeAuth, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  const address = req.socket.remoteAddress ?? '';
  if (url.pathname === '/signout' || (url.pathname === '/api/session' && req.method === 'DELETE')) {
    if (req.method !== 'POST' && req.method !== 'DELETE') return refuse(ctx, res, 405, 'method not allowed');
    const current = requestToken(ctx, req);
    if (current) auth.signOut(current);
    if (url.pathname === '/signout') return redirect(ctx, res, '/signin', sessionCookie(ctx, '', true));
    return sendJson(ctx, res, 200, { ok: true });
  }
  if (url.pathname === '/signin' && (req.method === 'GET' || req.method === 'HEAD')) return signInPage(ctx, res, 200, null);
  if (req.method !== 'POST') return refuse(ctx, res, 405, 'method not allowed');
  const body = await readBody(req);
  if (body === null) return refuse(ctx, res, 413, 'the sign-in request is too large');
  let user: unknown;
  let password: unknown;
  if (url.pathname === '/api/session') {
    try {
      ({ user, password } = JSON.parse(body) as { user?: unknown; password?: unknown });
    } catch {
      return sendJson(ctx, res, 400, { error: bridgeError('invalid-request', 'The sign-in request is not JSON {"user", "password"}.') });
    }
  } else {
    const form = new URLSearchParams(body);
    user = form.get('user');
    password = form.get('password');
  }
  if (typeof user !== 'string' || typeof password !== 'string' || user === '' || password === '') {
    if (url.pathname === '/signin') return signInPage(ctx, res, 400, 'Enter your user name and password.');
    return sendJson(ctx, res, 400, { error: bridgeError('invalid-request', 'A user name and a password are required.') });
  }
  const result = await auth.signIn(user, password, address);
  if (!result.ok) {
    if (url.pathname === '/signin') return signInPage(ctx, res, result.status, `${result.error.message} ${result.error.advice}`);
    return sendJson(ctx, res, result.status, { error: result.error });
  }
  if (url.pathname === '/signin') return redirect(ctx, res, '/', sessionCookie(ctx, result.token));
  sendJson(ctx, res, 200, { token: result.token, user: result.principal.user, role: result.principal.role });
}

/** Why a WebSocket upgrade is refused, or null: only the bridge, from this console's page (or a program with its session), with the token. */
function upgradeProblem(ctx: BridgeContext, req: http.IncomingMessage): string | null {
  const url = requestUrl(ctx, req);
  // A program presenting its session in Authorization sends no Origin; a browser always does (and cannot set Authorization).
  const program = ctx.auth !== null && req.headers.authorization !== undefined;
  return (
    (url === null ? 'malformed request' : null) ??
    checkHostAndOrigin(ctx, req) ??
    (req.headers.origin === undefined && !program ? 'Origin is required' : null) ??
    (url?.pathname !== BRIDGE_PATH ? 'not the bridge' : null) ??
    (requestToken(ctx, req) !== null ? null : 'a token is required')
  );
}

/** One bridge connection: each message with the connection's token goes to the router, its result comes back. */
function serveBridge(
  ctx: BridgeContext,
  ws: WebSocket,
  connectionToken: string,
  shared: { clients: Set<WebSocket>; batcher: EventBatcher; router: (origin: string, caller: Caller) => IpcRouter; address: string },
): void {
  const { clients, batcher } = shared;
  clients.add(ws);
  const send = (message: ServerMessage) => {
    batcher.flush();
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const principal = ctx.auth?.session(connectionToken) ?? null;
  const router = shared.router(ctx.origin, { principal, address: shared.address });
  ws.on('message', (data, isBinary) => {
    const message = parseClientMessage(isBinary ? null : data.toString());
    if (!message.ok) {
      send({ type: 'result', id: message.id, envelope: { ok: false, error: message.error } });
      return;
    }
    // The connection's own token, and (for an account) a session still alive: a signed-out or expired session ends the connection.
    if (!tokensEqual(connectionToken, message.value.token) || !tokenValid(ctx, connectionToken)) {
      send({
        type: 'result',
        id: message.value.id,
        envelope: {
          ok: false,
          error: ctx.auth
            ? { ...bridgeError('bridge-token', 'The session has ended (signed out or expired).'), advice: 'Sign in again.' }
            : bridgeError('bridge-token', 'The message did not carry this launch\'s token.'),
        },
      });
      ws.close(1008, 'token required');
      return;
    }
    const { id, channel, payload } = message.value;
    void router
      .dispatch(channel, payload, { shell: 'browser', url: ctx.origin })
      .then((envelope) => send({ type: 'result', id, envelope }));
  });
  // A frame past MAX_MESSAGE_BYTES (ws closes with 1009) or a broken frame is the socket's end, not the console's.
  ws.on('error', () => clients.delete(ws));
  ws.on('close', () => clients.delete(ws));
}
