// The package server's HTTP plumbing, apart from what any route means: request bodies read within
// a byte limit, the error that carries a status, the plain answers (JSON, an error status, 429)
// and the one byte range of RFC 9110 §14 that a download may resume with.
import type http from 'node:http';

/** The limit of a body that carries no log: progress, and the rest of a result. */
export const MAX_SMALL_BODY = 16 * 1024;

/** A refusal a route throws: answered with `status` (413 also closes the connection). */
export class HttpError extends Error {
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

/** The body as a JSON object, at most `limit` bytes (413 over it, 400 when it is not an object). */
export async function readJson(req: http.IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const body = await readBody(req, limit);
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'the body is not a JSON object');
  }
}

export function sendJson(res: http.ServerResponse, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'cache-control': 'no-store' });
  res.end(body);
}

/** What a route's failure becomes: its status (500 for anything but an HttpError), or a cut connection once the answer has begun. */
export function sendError(res: http.ServerResponse, error: unknown): void {
  const status = error instanceof HttpError ? error.status : 500;
  if (!res.headersSent) {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: status === 413 ? 'close' : 'keep-alive' });
    res.end(`${status}\n`);
  } else {
    res.destroy();
  }
}

/** 429 with Retry-After; a request with a body that may be large is answered and its connection closed. */
export function sendTooManyRequests(req: http.IncomingMessage, res: http.ServerResponse, retryAfter: number): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > MAX_SMALL_BODY || req.headers['transfer-encoding'] !== undefined;
  req.resume();
  res.writeHead(429, { 'retry-after': String(retryAfter), 'content-type': 'text/plain; charset=utf-8', 'content-length': 4, connection: hasBody ? 'close' : 'keep-alive' });
  res.end('429\n');
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
