// The package server on TCP 2224 (docs/PROTOCOLS.md §7): HTTPS with the console's own
// certificate, serving agents their job, the install credential, their package files and taking
// their progress and result (agentRoutes.ts). Hostile input is refused without hurting other
// agents: bounded headers, bodies and idle time, connection caps and a per-address request rate
// limit (channelLimits.ts; docs/ARCHITECTURE.md §12), refusals counted and logged throttled per
// address (refusalLog.ts).
import https from 'node:https';
import type net from 'node:net';
import { FileChunks } from './fileChunks.js';
import type { ConsoleCertificate } from './certificate.js';
import type { Grant, GrantStore } from './grants.js';
import { agentRoutes, type AgentEvent, type InstallCredential } from './agentRoutes.js';
import { connectionLimits, requestRateLimit } from './channelLimits.js';
import { sendError, sendTooManyRequests } from './httpMessages.js';
import { describeRequest, throttledRefusalLog, type Refuse, type RefusalCounts } from './refusalLog.js';

export type { AgentEvent, InstallCredential } from './agentRoutes.js';
export type { RefusalCounts } from './refusalLog.js';
export { parseRange } from './httpMessages.js';

/** Package chunks kept for the downloads in flight (a 1 MiB package costs 1 MiB; a large one at most this). */
const PACKAGE_CACHE_BYTES = 32 * 1024 * 1024;

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

export async function startPackageServer(options: PackageServerOptions): Promise<PackageServer> {
  const log = options.onLog ?? (() => undefined);
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  const counts: RefusalCounts = { overGlobalCap: 0, overAddressCap: 0, rateLimited: 0, badToken: 0, linesLogged: 0, linesSuppressed: 0 };
  const refusalLog = throttledRefusalLog(log, options.refusalLogLinesPerWindow ?? 3, options.refusalLogWindowMs ?? 10_000, counts);
  const refuse: Refuse = (kind, address, line) => {
    counts[kind]++;
    refusalLog.note(kind, address, line);
  };
  const rateLimit = requestRateLimit(options.requestsPerSecondPerAddress, options.requestBurstPerAddress);
  const connections = connectionLimits({
    maxConnections: options.maxConnections ?? AGENT_CHANNEL_LIMITS.maxConnections,
    maxPerAddress: options.maxConnectionsPerAddress ?? 8,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    firstRequestTimeoutMs: headersTimeoutMs,
    refuse,
  });
  const handle = agentRoutes({
    grants: options.grants,
    credentialFor: options.credentialFor,
    log,
    emit: options.onEvent ?? (() => undefined),
    maxLogBytes: options.maxLogBytes ?? 1024 * 1024,
    refuse,
    chunks: new FileChunks(PACKAGE_CACHE_BYTES),
  });

  const server = https.createServer(tlsServerOptions(options.certificate, headersTimeoutMs), (req, res) => {
    connections.requestArrived(req.socket);
    // The rate limit comes first: over it, no handler runs and no grant is looked at.
    const address = req.socket.remoteAddress ?? '?';
    const retryAfter = rateLimit.take(address);
    if (retryAfter > 0) {
      refuse('rateLimited', address, `refused ${describeRequest(req)} from ${address}: over ${rateLimit.describe} (429, retry after ${retryAfter} s)`);
      sendTooManyRequests(req, res, retryAfter);
      return;
    }
    void handle(req, res).catch((error: unknown) => sendError(res, error));
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket: net.Socket) => connections.accept(socket));
  server.on('tlsClientError', (_error, socket) => socket.destroy());

  await listen(server, options.port, options.host ?? '0.0.0.0');
  return {
    port: (server.address() as net.AddressInfo).port,
    refusals: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        connections.destroyAll();
        // The open windows' summaries are written now, and their timers go.
        refusalLog.flush();
      }),
  };
}

function tlsServerOptions(certificate: ConsoleCertificate, headersTimeoutMs: number): https.ServerOptions {
  return {
    key: certificate.key,
    cert: certificate.cert,
    minVersion: 'TLSv1.2',
    maxHeaderSize: 8 * 1024,
    headersTimeout: headersTimeoutMs,
    requestTimeout: 0, // downloads may take long on slow links; idle time is bounded instead
  };
}

function listen(server: https.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
