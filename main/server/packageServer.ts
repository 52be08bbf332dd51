// The package server on TCP 2224 (DESIGN.md §5, issue #5): HTTPS with the console's own
// certificate; agents authenticate with their one-time token and fetch their job, the install
// credential (once), their package files (streamed from disk, HTTP Range for resume), then post
// progress and the result with the MSI log. Hostile input is refused without hurting other
// agents: bounded headers, bodies and idle time, a per-address connection limit, no filesystem
// path ever taken from a URL.
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
  readonly maxLogBytes?: number;
  readonly headersTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
}

export interface PackageServer {
  readonly port: number;
  close(): Promise<void>;
}

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
  const perAddress = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const firstRequestTimers = new WeakMap<net.Socket, NodeJS.Timeout>();

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
    const count = (perAddress.get(address) ?? 0) + 1;
    if (count > maxPerAddress) {
      log(null, `refused a connection from ${address}: over ${maxPerAddress} at once`);
      socket.destroy();
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
    // The TLS socket wraps the TCP one the 'connection' timer belongs to.
    const tcp = (req.socket as unknown as { _parent?: net.Socket })._parent ?? req.socket;
    clearTimeout(firstRequestTimers.get(tcp));
    const auth = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(req.headers.authorization ?? '');
    const grant = options.grants.check(auth?.[1]);
    if (typeof grant === 'string') {
      log(null, `refused ${req.method} ${req.url?.slice(0, 80)} from ${req.socket.remoteAddress}: token ${grant}`);
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
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
}
