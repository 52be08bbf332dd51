// The package server on TCP 2224 (docs/PROTOCOLS.md §7): HTTPS with the console's own
// certificate; agents authenticate with their one-time token and fetch their job, the install
// credential (once), their package files (streamed from disk, HTTP Range for resume), then post
// progress and the result with the MSI log. Hostile input is refused without hurting other
// agents: bounded headers, bodies and idle time, a per-address connection limit, no filesystem
// path ever taken from a URL.
// Limits (docs/ARCHITECTURE.md §12): a global cap on concurrent connections (over it a socket is
// destroyed at once), a per-address request rate limit (token bucket: 429 with Retry-After before
// any handler runs), and refusals logged throttled per address (a few lines per window, then one
// summary line), so a flood from one address neither starves the others nor floods the console's
// log. Refusal lines name the method, the path without its query and the address: never a token.
import fs from 'node:fs';
import https from 'node:https';
import type http from 'node:http';
import type net from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { ConsoleCertificate } from './certificate.js';
import type { Grant, GrantStore } from './grants.js';

export interface InstallCredential {
  readonly user: string;
  readonly domain: string;
  readonly password: string;
}

export type AgentEvent =
  | { kind: 'connected'; targetId: number; address: string }
  | { kind: 'progress'; targetId: number; stage: string; percent: number | null }
  | { kind: 'bytes-served'; targetId: number; file: string; bytes: number }
  | { kind: 'result'; targetId: number; exitCode: number; log: string };

export interface PackageServerOptions {
  readonly certificate: ConsoleCertificate;
  readonly grants: GrantStore;
  readonly port: number;
  readonly host?: string;
  /** The credential for a grant's target, fetched just in time; never logged. */
  readonly credentialFor: (grant: Grant) => Promise<InstallCredential | null>;
  readonly onEvent?: (event: AgentEvent) => void;
  /** One line for the target's step log (or, without a target, the console's log). */
  readonly onLog?: (targetId: number | null, detail: string) => void;
  readonly maxConnectionsPerAddress?: number;
  /** Concurrent connections from all addresses together (default 1024); over it a socket is destroyed at once. */
  readonly maxConnections?: number;
  /**
   * Requests per second per address (token bucket refill). Off unless given: the console's runtime
   * passes AGENT_CHANNEL_LIMITS. Over it: 429 with Retry-After, and no handler runs.
   */
  readonly requestsPerSecondPerAddress?: number;
  /** The bucket's size: requests an address may make at once (default: 5 s worth of the rate, at least 1). */
  readonly requestBurstPerAddress?: number;
  /** Refusal lines logged per address per window before the rest are only counted (default 3 per 10 s). */
  readonly refusalLogLinesPerWindow?: number;
  readonly refusalLogWindowMs?: number;
  readonly maxLogBytes?: number;
  readonly headersTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
}

/** What was refused since the server started. */
export interface RefusalCounts {
  /** Connections destroyed because the server held maxConnections already. */
  overGlobalCap: number;
  /** Connections destroyed because their address held maxConnectionsPerAddress already. */
  overAddressCap: number;
  /** Requests answered 429. */
  rateLimited: number;
  /** Requests answered 401 (no, unknown, expired or finished token). */
  badToken: number;
  /** Refusal lines logged, summaries included, and refusals only counted. */
  linesLogged: number;
  linesSuppressed: number;
}

export interface PackageServer {
  readonly port: number;
  /** A copy of the counts. */
  refusals(): RefusalCounts;
  close(): Promise<void>;
}

/**
 * The limits the console runs its package server with (main/engine/runtime.ts). A legitimate agent
 * (agent/src/work.c) makes one request per step: the job, progress `connected`, `downloading 0`,
 * each file (≤ 8, ≤ 6 attempts each with pauses of 0.5 s × attempt), progress at most once a
 * second, the credential once, `installing`, the result (≤ 3 attempts, 1 s and 2 s apart): about
 * 15 requests at its busiest moment and about 1 a second after that. The simulated lab agent
 * posts progress in 10 % steps: about 20 at once. A bucket of 100 refilled at 20 a second is five
 * times that, for every agent that shares an address; the per-address connection cap (8) already
 * bounds what one address can hold. 1024 connections at once serve ~200 pushes at a time with
 * each agent's keep-alive connection and its retries several times over.
 */
export const AGENT_CHANNEL_LIMITS = {
  maxConnections: 1024,
  maxConnectionsPerAddress: 8,
  requestsPerSecondPerAddress: 20,
  requestBurstPerAddress: 100,
} as const;

const MAX_SMALL_BODY = 16 * 1024;

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new HttpError(413, `body of ${declared} bytes is over the ${limit}-byte limit`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, `body over the ${limit}-byte limit`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function readJson(req: http.IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const body = await readBody(req, limit);
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'the body is not a JSON object');
  }
}

/** RFC 9110 §14: one `bytes=start-end` range; anything else is served whole or refused with 416. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'none' | 'unsatisfiable' {
  if (!header) return 'none';
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'unsatisfiable';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (!Number.isSafeInteger(start) || start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export async function startPackageServer(options: PackageServerOptions): Promise<PackageServer> {
  const log = options.onLog ?? (() => undefined);
  const emit = options.onEvent ?? (() => undefined);
  const maxPerAddress = options.maxConnectionsPerAddress ?? 8;
  const maxLog = options.maxLogBytes ?? 1024 * 1024;
  const maxConnections = options.maxConnections ?? AGENT_CHANNEL_LIMITS.maxConnections;
  const perAddress = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const firstRequestTimers = new WeakMap<net.Socket, NodeJS.Timeout>();
  const counts: RefusalCounts = { overGlobalCap: 0, overAddressCap: 0, rateLimited: 0, badToken: 0, linesLogged: 0, linesSuppressed: 0 };
  const refusalLog = throttledRefusalLog(
    log,
    options.refusalLogLinesPerWindow ?? 3,
    options.refusalLogWindowMs ?? 10_000,
    counts,
  );
  const rateLimit = requestRateLimit(options.requestsPerSecondPerAddress, options.requestBurstPerAddress);
  const refuse = (kind: RefusalKind, address: string, line: string): void => {
    counts[kind]++;
    refusalLog.note(kind, address, line);
  };

  const server = https.createServer(
    {
      key: options.certificate.key,
      cert: options.certificate.cert,
      minVersion: 'TLSv1.2',
      maxHeaderSize: 8 * 1024,
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      requestTimeout: 0, // downloads may take long on slow links; idle time is bounded instead
    },
    (req, res) => {
      // The TLS socket wraps the TCP one the 'connection' timer belongs to.
      const tcp = (req.socket as unknown as { _parent?: net.Socket })._parent ?? req.socket;
      clearTimeout(firstRequestTimers.get(tcp));
      // The rate limit comes first: over it, no handler runs and no grant is looked at.
      const address = req.socket.remoteAddress ?? '?';
      const retryAfter = rateLimit.take(address);
      if (retryAfter > 0) {
        refuse('rateLimited', address, `refused ${describeRequest(req)} from ${address}: over ${rateLimit.describe} (429, retry after ${retryAfter} s)`);
        const hasBody = Number(req.headers['content-length'] ?? 0) > MAX_SMALL_BODY || req.headers['transfer-encoding'] !== undefined;
        req.resume();
        res.writeHead(429, { 'retry-after': String(retryAfter), 'content-type': 'text/plain; charset=utf-8', 'content-length': 4, connection: hasBody ? 'close' : 'keep-alive' });
        res.end('429\n');
        return;
      }
      void handle(req, res).catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500;
        if (!res.headersSent) {
          res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: status === 413 ? 'close' : 'keep-alive' });
          res.end(`${status}\n`);
        } else {
          res.destroy();
        }
      });
    },
  );
  server.keepAliveTimeout = 5_000;

  // Count connections per address at the TCP level, before TLS costs anything.
  server.on('connection', (socket: net.Socket) => {
    const address = socket.remoteAddress ?? '?';
    if (sockets.size >= maxConnections) {
      socket.destroy();
      refuse('overGlobalCap', address, `refused a connection from ${address}: the server holds ${maxConnections} connections already`);
      return;
    }
    const count = (perAddress.get(address) ?? 0) + 1;
    if (count > maxPerAddress) {
      socket.destroy();
      refuse('overAddressCap', address, `refused a connection from ${address}: over ${maxPerAddress} at once`);
      return;
    }
    perAddress.set(address, count);
    sockets.add(socket);
    socket.setTimeout(options.idleTimeoutMs ?? 60_000, () => socket.destroy());
    // A client must finish its TLS handshake and first request headers within the bound (slowloris).
    const firstRequest = setTimeout(() => socket.destroy(), options.headersTimeoutMs ?? 10_000);
    firstRequestTimers.set(socket, firstRequest);
    socket.once('close', () => {
      clearTimeout(firstRequest);
      sockets.delete(socket);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });
  server.on('tlsClientError', (_error, socket) => socket.destroy());

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const auth = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(req.headers.authorization ?? '');
    const grant = options.grants.check(auth?.[1]);
    if (typeof grant === 'string') {
      const address = req.socket.remoteAddress ?? '?';
      refuse('badToken', address, `refused ${describeRequest(req)} from ${address}: token ${grant}`);
      req.resume();
      throw new HttpError(401, 'token');
    }
    const url = req.url ?? '';
    const target = grant.targetId;
    if (req.method === 'GET' && url === '/v1/job') {
      emit({ kind: 'connected', targetId: target, address: req.socket.remoteAddress ?? '?' });
      log(target, `agent connected from ${req.socket.remoteAddress} and fetched its job`);
      return sendJson(res, {
        runId: grant.runId,
        parameters: grant.parameters,
        runAs: grant.runAs,
        action: grant.action ?? 'install',
        files: grant.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, role: f.role })),
      });
    }
    if (req.method === 'GET' && url === '/v1/credential') {
      if (grant.runAs !== 'admin') throw new HttpError(404, 'no credential for a SYSTEM install');
      if (grant.credentialTaken) {
        log(target, 'refused a second request for the install credential');
        throw new HttpError(410, 'credential already taken');
      }
      grant.credentialTaken = true;
      const credential = await options.credentialFor(grant);
      if (!credential) throw new HttpError(404, 'no credential');
      log(target, `handed the install credential for ${credential.domain ? `${credential.domain}\\` : ''}${credential.user} to the agent`);
      return sendJson(res, credential);
    }
    if (req.method === 'GET' && url.startsWith('/v1/files/')) {
      const name = decodeURIComponentSafe(url.slice('/v1/files/'.length));
      const file = grant.files.find((f) => f.name === name);
      if (!file) throw new HttpError(404, 'no such file in this package');
      return sendFile(req, res, grant, file);
    }
    if (req.method === 'POST' && url === '/v1/progress') {
      const body = await readJson(req, MAX_SMALL_BODY);
      const stage = typeof body.stage === 'string' ? body.stage.slice(0, 64) : 'unknown';
      const percent = typeof body.percent === 'number' && body.percent >= 0 && body.percent <= 100 ? body.percent : null;
      emit({ kind: 'progress', targetId: target, stage, percent });
      return sendJson(res, { ok: true });
    }
    if (req.method === 'POST' && url === '/v1/result') {
      const body = await readJson(req, maxLog + MAX_SMALL_BODY);
      if (typeof body.exitCode !== 'number' || !Number.isInteger(body.exitCode)) throw new HttpError(400, 'exitCode');
      const logText = typeof body.log === 'string' ? body.log.slice(-maxLog) : '';
      grant.finished = true;
      log(target, `agent reported exit code ${body.exitCode} with ${logText.length} characters of log`);
      emit({ kind: 'result', targetId: target, exitCode: body.exitCode, log: logText });
      return sendJson(res, { ok: true });
    }
    req.resume();
    throw new HttpError(404, 'not found');
  }

  function sendJson(res: http.ServerResponse, value: unknown): void {
    const body = Buffer.from(JSON.stringify(value));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'cache-control': 'no-store' });
    res.end(body);
  }

  async function sendFile(req: http.IncomingMessage, res: http.ServerResponse, grant: Grant, file: Grant['files'][number]): Promise<void> {
    const range = parseRange(req.headers.range, file.size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { 'content-range': `bytes */${file.size}` });
      res.end();
      return;
    }
    const { start, end } = range === 'none' ? { start: 0, end: file.size - 1 } : range;
    const length = file.size === 0 ? 0 : end - start + 1;
    res.writeHead(range === 'none' ? 200 : 206, {
      'content-type': 'application/octet-stream',
      'content-length': length,
      'accept-ranges': 'bytes',
      'x-sha256': file.sha256,
      ...(range === 'none' ? {} : { 'content-range': `bytes ${start}-${end}/${file.size}` }),
    });
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    log(grant.targetId, `serving ${file.name} bytes ${start}-${end} of ${file.size}`);
    await pipeline(fs.createReadStream(file.path, { start, end, highWaterMark: 256 * 1024 }), res);
    emit({ kind: 'bytes-served', targetId: grant.targetId, file: file.name, bytes: length });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    refusals: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        // The open windows' summaries are written now, and their timers go.
        refusalLog.flush();
      }),
  };
}

type RefusalKind = 'overGlobalCap' | 'overAddressCap' | 'rateLimited' | 'badToken';

const KIND_WORDS: Record<RefusalKind, string> = {
  overGlobalCap: 'over the connection cap',
  overAddressCap: 'over the per-address connection cap',
  rateLimited: 'rate-limited',
  badToken: 'with a bad token',
};

/** Addresses with a window of their own at once; the rest share one (memory stays bounded in a spread flood). */
const MAX_LOG_WINDOWS = 256;
const OTHERS = 'other addresses';

/**
 * Refusal lines for the console's log, at most `lines` per address per window; the rest are counted
 * and summed up in one line when the window closes. Timers are unref'd and go on flush().
 */
function throttledRefusalLog(log: (targetId: number | null, detail: string) => void, lines: number, windowMs: number, counts: RefusalCounts) {
  interface Window { logged: number; suppressed: Map<RefusalKind, number>; timer: NodeJS.Timeout }
  const windows = new Map<string, Window>();
  const seconds = Math.round(windowMs / 100) / 10;
  const close = (key: string): void => {
    const w = windows.get(key);
    if (!w) return;
    clearTimeout(w.timer);
    windows.delete(key);
    let total = 0;
    for (const n of w.suppressed.values()) total += n;
    if (total === 0) return;
    const kinds = [...w.suppressed].map(([kind, n]) => `${n} ${KIND_WORDS[kind]}`).join(', ');
    counts.linesLogged++;
    log(null, `… and ${total} more refused from ${key} in the last ${seconds} s (${kinds})`);
  };
  return {
    note(kind: RefusalKind, address: string, line: string): void {
      const key = windows.has(address) || windows.size < MAX_LOG_WINDOWS ? address : OTHERS;
      let w = windows.get(key);
      if (!w) {
        const timer = setTimeout(() => close(key), windowMs);
        timer.unref();
        w = { logged: 0, suppressed: new Map(), timer };
        windows.set(key, w);
      }
      if (w.logged < lines) {
        w.logged++;
        counts.linesLogged++;
        log(null, line);
      } else {
        w.suppressed.set(kind, (w.suppressed.get(kind) ?? 0) + 1);
        counts.linesSuppressed++;
      }
    },
    flush(): void {
      for (const key of [...windows.keys()]) close(key);
    },
  };
}

/**
 * A token bucket per address: `burst` requests at once, refilled at `rate` a second. take() is 0
 * when the request may go on, else the seconds to wait (Retry-After). Without a rate (or with a
 * rate that is not a positive finite number) every request goes on. Buckets that have refilled are
 * dropped every 10 s, on the next request (no timer).
 */
function requestRateLimit(rate: number | undefined, burstOption: number | undefined) {
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

/** `GET /v1/job` for a log line: the path without its query (which could carry anything), printable, short. */
function describeRequest(req: http.IncomingMessage): string {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const pathOnly = (q >= 0 ? url.slice(0, q) : url).slice(0, 80).replace(/[^\x21-\x7e]/g, '?');
  return `${req.method ?? '?'} ${pathOnly}${q >= 0 ? '?…' : ''}`;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
}
