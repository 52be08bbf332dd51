// The browser shell's server: the renderer's files and a WebSocket bridge that carries the same
// IPC contract as Electron's ipcMain, to the same router. It listens on 127.0.0.1 only and
// trusts nothing by address alone:
// - a random token per launch is required on the page load (?token=, which then sets a
//   same-site HttpOnly cookie for the page's own assets and reloads) and inside every message;
// - Host must name this server (DNS-rebinding guard) and Origin, when sent, must be this server.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventBus } from '../ipc/eventBus.js';
import { batchEvents, type EventBatcher } from '../ipc/eventBatch.js';
import type { IpcRouter } from '../ipc/router.js';
import { bridgeError, parseClientMessage, type ServerMessage } from '../ipc/bridgeProtocol.js';

export const TOKEN_COOKIE = 'pic_token';
export const BRIDGE_PATH = '/bridge';
/**
 * The largest message either way: the largest requests the contract allows must fit — a task of
 * 50 000 targets (~2 MB of JSON), an 8 MB paste of computers — and nothing more (ws closes the
 * socket with 1009 beyond it).
 */
export const MAX_MESSAGE_BYTES = 12 * 1024 * 1024;

export interface BridgeServerOptions {
  readonly router: (origin: string) => IpcRouter;
  readonly events: EventBus;
  /** Folder holding the built renderer (index.html and its assets). */
  readonly rendererDir: string;
  readonly port?: number;
  /** The loopback address to listen on; default 127.0.0.1 (the shell allows only 127.x.y.z). */
  readonly host?: string;
  /** Tests may fix the token; a launch never does. */
  readonly token?: string;
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
export function contentSecurityPolicy(hostHeader: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self' ws://${hostHeader}`,
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
function securityHeaders(hostHeader: string): http.OutgoingHttpHeaders {
  return {
    'content-security-policy': contentSecurityPolicy(hostHeader),
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
  const ctx: BridgeContext = { token, rendererDir, indexFile, origin: '', hostHeader: '' };
  const server = http.createServer((req, res) => serveHttp(ctx, req, res));

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const clients = new Set<WebSocket>();
  // A frame's worth of events per message (eventBatch.ts); `send` flushes before each result.
  const batcher = batchEvents(options.events, (batch) => {
    const message: ServerMessage = batch.length === 1 ? { type: 'event', ...batch[0]! } : { type: 'events', events: batch };
    const text = JSON.stringify(message);
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  server.on('upgrade', (req, socket, head) => {
    const problem = upgradeProblem(ctx, req);
    if (problem) {
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${problem}\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  wss.on('connection', (ws) => serveBridge(ctx, ws, { clients, batcher, router: options.router }));

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  ctx.hostHeader = `${host}:${port}`;
  ctx.origin = `http://${ctx.hostHeader}`;

  return {
    origin: ctx.origin,
    token,
    port,
    url: `${ctx.origin}/?token=${token}`,
    async close() {
      batcher.close();
      for (const ws of clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What the server's handlers share: the launch's token, the renderer's files, and this server's address (set once it listens). */
interface BridgeContext {
  readonly token: string;
  readonly rendererDir: string;
  readonly indexFile: string;
  origin: string;
  hostHeader: string;
}

/** Host must be this server; Origin, when the browser sends one, must be this server too. */
function checkHostAndOrigin(ctx: BridgeContext, req: http.IncomingMessage): string | null {
  if (req.headers.host !== ctx.hostHeader) return `Host "${req.headers.host ?? ''}" is not this console`;
  const requestOrigin = req.headers.origin;
  if (requestOrigin !== undefined && requestOrigin !== ctx.origin) return `Origin "${requestOrigin}" is not this console`;
  // Browsers say where a request comes from even when they send no Origin (navigations):
  // only a typed/opened URL ("none") or the console's own page ("same-origin") may load it.
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'none' && site !== 'same-origin') return `a ${site} request is not allowed`;
  return null;
}

function refuse(ctx: BridgeContext, res: http.ServerResponse, status: number, why: string): void {
  res.writeHead(status, { ...securityHeaders(ctx.hostHeader), 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
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

/** An HTTP request: the page (trading a ?token= for the cookie) or one of its assets, for a caller with the cookie. */
function serveHttp(ctx: BridgeContext, req: http.IncomingMessage, res: http.ServerResponse): void {
  const problem = checkHostAndOrigin(ctx, req);
  if (problem) return refuse(ctx, res, 403, problem);
  if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(ctx, res, 405, 'method not allowed');
  const url = requestUrl(ctx, req);
  if (!url) return refuse(ctx, res, 400, 'malformed request');
  const hasCookie = tokensEqual(ctx.token, cookieToken(req.headers.cookie));
  if (url.pathname === '/' || url.pathname === '/index.html') return servePage(ctx, req, res, url.searchParams.get('token'), hasCookie);
  if (!hasCookie) return refuse(ctx, res, 403, 'a token is required');
  serveAsset(ctx, req, res, url);
}

/** The page: a ?token= is traded for the cookie (303 to /); with the cookie, index.html with the token in a <meta>. */
function servePage(ctx: BridgeContext, req: http.IncomingMessage, res: http.ServerResponse, queryToken: string | null, hasCookie: boolean): void {
  const { token } = ctx;
  if (queryToken !== null) {
    if (!tokensEqual(token, queryToken)) return refuse(ctx, res, 403, 'wrong token: open the URL the console printed');
    // Trade the token in the URL for a cookie, so it leaves the address bar and history.
    res.writeHead(303, {
      ...securityHeaders(ctx.hostHeader),
      location: '/',
      'set-cookie': `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      'cache-control': 'no-store',
    });
    res.end();
    return;
  }
  if (!hasCookie) return refuse(ctx, res, 403, 'a token is required: open the URL the console printed');
  const html = fs
    .readFileSync(ctx.indexFile, 'utf8')
    .replace('<head>', `<head><meta name="pic-bridge-token" content="${token}">`);
  res.writeHead(200, {
    ...securityHeaders(ctx.hostHeader),
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
      ...securityHeaders(ctx.hostHeader),
      'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': stat.size,
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file).pipe(res);
  });
}

/** Why a WebSocket upgrade is refused, or null: only the bridge, from this console's page, with the token. */
function upgradeProblem(ctx: BridgeContext, req: http.IncomingMessage): string | null {
  const url = requestUrl(ctx, req);
  return (
    (url === null ? 'malformed request' : null) ??
    checkHostAndOrigin(ctx, req) ??
    (req.headers.origin === undefined ? 'Origin is required' : null) ??
    (url?.pathname !== BRIDGE_PATH ? 'not the bridge' : null) ??
    (tokensEqual(ctx.token, cookieToken(req.headers.cookie)) || tokensEqual(ctx.token, url?.searchParams.get('token'))
      ? null
      : 'a token is required')
  );
}

/** One bridge connection: each message with the launch's token goes to the router, its result comes back. */
function serveBridge(
  ctx: BridgeContext,
  ws: WebSocket,
  shared: { clients: Set<WebSocket>; batcher: EventBatcher; router: (origin: string) => IpcRouter },
): void {
  const { clients, batcher } = shared;
  clients.add(ws);
  const send = (message: ServerMessage) => {
    batcher.flush();
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const router = shared.router(ctx.origin);
  ws.on('message', (data, isBinary) => {
    const message = parseClientMessage(isBinary ? null : data.toString());
    if (!message.ok) {
      send({ type: 'result', id: message.id, envelope: { ok: false, error: message.error } });
      return;
    }
    if (!tokensEqual(ctx.token, message.value.token)) {
      // A message without the launch's token is refused and the connection ends.
      send({
        type: 'result',
        id: message.value.id,
        envelope: { ok: false, error: bridgeError('bridge-token', 'The message did not carry this launch\'s token.') },
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
