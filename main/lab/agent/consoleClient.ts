// The simulated agent's HTTPS client for the console's package server: every connection goes out
// from the lab host's own address, and its certificate's SHA-256 (of the DER) is compared with the
// job file's fingerprint right after the TLS handshake — before a single HTTP byte, so a wrong
// console never sees the token (agent/README.md "Reaching the console"). The CA chain is not
// checked: the console's certificate is self-signed and pinned. Connections are kept alive and
// reused, each pinned when it is made.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { retryAfterSeconds } from '../../server/agentProtocol.js';

export class CertificatePinError extends Error {
  constructor(readonly presented: string | null) {
    super(`the console's certificate SHA-256 is ${presented ?? 'missing'}, not the job file's fingerprint`);
    this.name = 'CertificatePinError';
  }
}

/** The console answered with a status other than 2xx. */
export class ConsoleStatusError extends Error {
  constructor(readonly status: number, what: string) {
    super(`${what}: HTTP ${status}`);
    this.name = 'ConsoleStatusError';
  }
}

export interface ConsoleClientOptions {
  readonly host: string;
  readonly port: number;
  /** SHA-256 of the certificate's DER, lower-case hex. */
  readonly fingerprint: string;
  readonly localAddress?: string;
  readonly token: string;
  readonly connectTimeoutMs: number;
  /** A connection with nothing on it for this long is dropped (a stalled console). */
  readonly idleTimeoutMs: number;
  readonly tls?: Omit<tls.ConnectionOptions, 'host' | 'port' | 'localAddress' | 'rejectUnauthorized' | 'checkServerIdentity'>;
  readonly signal: AbortSignal;
  /** How 429/503 answers are waited out (agentProtocol.ts); without it they are the answer. */
  readonly busy?: BusyBackoff;
}

/** A run's back-off on 429/503 (AGENT_BUSY_RETRY's bounds): one per run, shared by its clients. */
export interface BusyBackoff {
  readonly statuses: readonly number[];
  readonly retriesPerRequest: number;
  readonly budgetSeconds: number;
  /** Back-off used so far in this run. */
  spentMs: number;
  /** The run's stoppable wait. */
  wait(ms: number): Promise<void>;
  log(line: string): void;
}

const MAX_JSON_BODY = 256 * 1024;

/**
 * One TLS context for every simulated agent that asks for no TLS options of its own: building one
 * (OpenSSL's context and its root store) cost as much as the handshake itself, for each of the
 * thousands of agents a large lab runs. The pin is checked per connection, so nothing is shared
 * that a connection's trust depends on.
 */
let defaultContext: tls.SecureContext | undefined;

class PinnedAgent extends http.Agent {
  private readonly pending = new Set<tls.TLSSocket>();

  constructor(private readonly opts: ConsoleClientOptions) {
    super({ keepAlive: true, maxSockets: 2, maxFreeSockets: 2, timeout: opts.idleTimeoutMs });
  }

  override createConnection(_options: http.ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const { host, port, localAddress, fingerprint, connectTimeoutMs } = this.opts;
    // tls.connect hands the options to net.Socket#connect, which binds localAddress (@types/node omits it).
    const context = this.opts.tls ? {} : { secureContext: (defaultContext ??= tls.createSecureContext()) };
    const connectOptions: tls.ConnectionOptions & { localAddress?: string } = { ...this.opts.tls, ...context, host, port, localAddress, rejectUnauthorized: false };
    const socket = tls.connect(connectOptions);
    this.pending.add(socket);
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      this.pending.delete(socket);
      socket.setTimeout(0);
      socket.removeListener('error', onError);
      if (error) socket.destroy();
      callback?.(error, socket);
    };
    const onError = (error: Error) => settle(error);
    socket.once('error', onError);
    socket.setTimeout(connectTimeoutMs, () => settle(Object.assign(new Error(`no TLS handshake with ${host}:${port} within ${connectTimeoutMs} ms`), { code: 'ETIMEDOUT' })));
    socket.once('secureConnect', () => {
      const presented = socket.getPeerX509Certificate()?.fingerprint256.replace(/:/g, '').toLowerCase() ?? null;
      settle(presented === fingerprint ? null : new CertificatePinError(presented));
    });
    return undefined;
  }

  override destroy(): void {
    for (const socket of this.pending) socket.destroy();
    this.pending.clear();
    super.destroy();
  }
}

export class ConsoleClient {
  private readonly agent: PinnedAgent;

  constructor(private readonly opts: ConsoleClientOptions) {
    this.agent = new PinnedAgent(opts);
  }

  get address(): string {
    return `${this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host}:${this.opts.port}`;
  }

  /** One request; resolves with the response once its headers are in. */
  request(method: string, path: string, options: { body?: Buffer; headers?: Record<string, string> } = {}): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = http.request({
        agent: this.agent,
        host: this.opts.host,
        port: this.opts.port,
        method,
        path,
        signal: this.opts.signal,
        headers: {
          authorization: `Bearer ${this.opts.token}`,
          ...(options.body ? { 'content-type': 'application/json', 'content-length': String(options.body.length) } : {}),
          ...options.headers,
        },
      });
      req.once('response', resolve);
      req.once('error', reject);
      req.end(options.body);
    });
  }

  /**
   * A request whose 429/503 answers are waited out (Retry-After) and sent again, at most
   * retriesPerRequest times and within the run's back-off budget; then the refusal is the answer.
   */
  async send(method: string, path: string, options: { body?: Buffer; headers?: Record<string, string> } = {}): Promise<http.IncomingMessage> {
    const busy = this.opts.busy;
    for (let retry = 0; ; retry++) {
      const res = await this.request(method, path, options);
      const status = res.statusCode ?? 0;
      if (!busy || !busy.statuses.includes(status)) return res;
      const seconds = retryAfterSeconds(res.headers['retry-after']);
      const reason = status === 429 ? 'rate limited' : 'unavailable';
      if (retry >= busy.retriesPerRequest || busy.spentMs + seconds * 1000 > busy.budgetSeconds * 1000) {
        busy.log(`${this.address}: the console kept refusing: ${reason} (HTTP ${status} to ${method} ${path}; ${retry} retries, ${busy.spentMs / 1000} of ${busy.budgetSeconds} s of back-off used in this run, ${seconds} s more asked)`);
        return res;
      }
      res.resume();
      busy.log(`${this.address}: ${method} ${path} answered HTTP ${status} (${reason}): backing off ${seconds} s (Retry-After), retry ${retry + 1} of ${busy.retriesPerRequest}`);
      await busy.wait(seconds * 1000);
      busy.spentMs += seconds * 1000;
    }
  }

  async getJson(path: string): Promise<unknown> {
    const res = await this.send('GET', path);
    const body = await readSmall(res, path);
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      throw new ConsoleStatusError(res.statusCode ?? 0, `${path} answered something that is not JSON`);
    }
  }

  async postJson(path: string, value: unknown): Promise<void> {
    const res = await this.send('POST', path, { body: Buffer.from(JSON.stringify(value)) });
    await readSmall(res, path);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A small answer's body (at most 256 KiB); a status other than 2xx is a ConsoleStatusError. */
export async function readSmall(res: http.IncomingMessage, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) {
      res.destroy();
      throw new ConsoleStatusError(res.statusCode ?? 0, `${what} answered more than ${MAX_JSON_BODY} bytes`);
    }
    chunks.push(chunk);
  }
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 299) throw new ConsoleStatusError(status, what);
  return Buffer.concat(chunks);
}
