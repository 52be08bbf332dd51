// The agent's side of the package server: the one-time token checked, then its job, the install
// credential (once), its package files (streamed from disk, HTTP Range for resume), its progress
// and its result with the MSI log. No filesystem path is ever taken from a URL: a file is one the grant names.
import type http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileChunks } from './fileChunks.js';
import type { Grant, GrantStore } from './grants.js';
import { HttpError, MAX_SMALL_BODY, parseRange, readJson, sendJson } from './httpMessages.js';
import { describeRequest, type Refuse } from './refusalLog.js';
import { jobAnswer, parseRestartReport, type RestartReport } from './agentProtocol.js';

export interface InstallCredential {
  readonly user: string;
  readonly domain: string;
  readonly password: string;
}

export type AgentEvent =
  | { kind: 'connected'; targetId: number; address: string }
  | { kind: 'progress'; targetId: number; stage: string; percent: number | null }
  | { kind: 'bytes-served'; targetId: number; file: string; bytes: number }
  | { kind: 'result'; targetId: number; exitCode: number; log: string; restart: RestartReport | null };

export interface AgentRouteContext {
  readonly grants: GrantStore;
  readonly credentialFor: (grant: Grant) => Promise<InstallCredential | null>;
  readonly log: (targetId: number | null, detail: string) => void;
  readonly emit: (event: AgentEvent) => void;
  /** The most of a result's log kept (its tail). */
  readonly maxLogBytes: number;
  readonly refuse: Refuse;
  /** The package files' chunks, shared by every download. */
  readonly chunks: FileChunks;
}

/** Downloads read package files 1 MiB at a time through the shared cache and send 64 KiB pieces. */
const FILE_CHUNK_BYTES = 1024 * 1024;
const FILE_PIECE_BYTES = 64 * 1024;

type Req = http.IncomingMessage;
type Res = http.ServerResponse;

/** The handler for every request that passed the rate limit; a refusal is thrown as an HttpError. */
export function agentRoutes(ctx: AgentRouteContext): (req: Req, res: Res) => Promise<void> {
  return async (req, res) => {
    const grant = authenticate(ctx, req);
    const url = req.url ?? '';
    if (req.method === 'GET' && url === '/v1/job') return sendJob(ctx, req, res, grant);
    if (req.method === 'GET' && url === '/v1/credential') return sendCredential(ctx, res, grant);
    if (req.method === 'GET' && url.startsWith('/v1/files/')) {
      const name = decodeURIComponentSafe(url.slice('/v1/files/'.length));
      const file = grant.files.find((f) => f.name === name);
      if (!file) throw new HttpError(404, 'no such file in this package');
      return sendFile(ctx, req, res, grant, file);
    }
    if (req.method === 'POST' && url === '/v1/progress') return takeProgress(ctx, req, res, grant);
    if (req.method === 'POST' && url === '/v1/result') return takeResult(ctx, req, res, grant);
    req.resume();
    throw new HttpError(404, 'not found');
  };
}

/** The grant of the request's bearer token; none (or a spent one) is refused with 401. */
function authenticate(ctx: AgentRouteContext, req: Req): Grant {
  const auth = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(req.headers.authorization ?? '');
  const grant = ctx.grants.check(auth?.[1]);
  if (typeof grant === 'string') {
    const address = req.socket.remoteAddress ?? '?';
    ctx.refuse('badToken', address, `refused ${describeRequest(req)} from ${address}: token ${grant}`);
    req.resume();
    throw new HttpError(401, 'token');
  }
  return grant;
}

function sendJob(ctx: AgentRouteContext, req: Req, res: Res, grant: Grant): void {
  const target = grant.targetId;
  ctx.emit({ kind: 'connected', targetId: target, address: req.socket.remoteAddress ?? '?' });
  ctx.log(target, `agent connected from ${req.socket.remoteAddress} and fetched its job`);
  sendJson(res, jobAnswer(grant));
}

/** The install credential, once per grant and only for an install that runs as an administrator. */
async function sendCredential(ctx: AgentRouteContext, res: Res, grant: Grant): Promise<void> {
  const target = grant.targetId;
  if (grant.runAs !== 'admin') throw new HttpError(404, 'no credential for a SYSTEM install');
  if (grant.credentialTaken) {
    ctx.log(target, 'refused a second request for the install credential');
    throw new HttpError(410, 'credential already taken');
  }
  grant.credentialTaken = true;
  const credential = await ctx.credentialFor(grant);
  if (!credential) throw new HttpError(404, 'no credential');
  ctx.log(target, `handed the install credential for ${credential.domain ? `${credential.domain}\\` : ''}${credential.user} to the agent`);
  sendJson(res, credential);
}

async function sendFile(ctx: AgentRouteContext, req: Req, res: Res, grant: Grant, file: Grant['files'][number]): Promise<void> {
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
  ctx.log(grant.targetId, `serving ${file.name} bytes ${start}-${end} of ${file.size}`);
  // Pieces of 64 KiB pulled as the socket drains: TLS encrypts each write whole into its buffer,
  // so larger pieces cost memory per connection (256 KiB held 56 MiB at 200 downloads).
  await pipeline(Readable.from(ctx.chunks.stream(file.path, start, end, FILE_CHUNK_BYTES, FILE_PIECE_BYTES)), res);
  ctx.emit({ kind: 'bytes-served', targetId: grant.targetId, file: file.name, bytes: length });
}

async function takeProgress(ctx: AgentRouteContext, req: Req, res: Res, grant: Grant): Promise<void> {
  const body = await readJson(req, MAX_SMALL_BODY);
  const stage = typeof body.stage === 'string' ? body.stage.slice(0, 64) : 'unknown';
  const percent = typeof body.percent === 'number' && body.percent >= 0 && body.percent <= 100 ? body.percent : null;
  ctx.emit({ kind: 'progress', targetId: grant.targetId, stage, percent });
  sendJson(res, { ok: true });
}

/** The result ends the grant: its token is refused from now on. */
async function takeResult(ctx: AgentRouteContext, req: Req, res: Res, grant: Grant): Promise<void> {
  const maxLog = ctx.maxLogBytes;
  const body = await readJson(req, maxLog + MAX_SMALL_BODY);
  if (typeof body.exitCode !== 'number' || !Number.isInteger(body.exitCode)) throw new HttpError(400, 'exitCode');
  const logText = typeof body.log === 'string' ? body.log.slice(-maxLog) : '';
  grant.finished = true;
  ctx.log(grant.targetId, `agent reported exit code ${body.exitCode} with ${logText.length} characters of log`);
  ctx.emit({ kind: 'result', targetId: grant.targetId, exitCode: body.exitCode, log: logText, restart: parseRestartReport(body.restart) });
  sendJson(res, { ok: true });
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
}
