// MS-SMB2 2.1: SMB2 over direct TCP — each message behind a 4-byte header (a zero byte and a
// 24-bit big-endian length). Connecting classifies failures at once: a refused port is
// `port-blocked`, an unknown name `name-not-resolved`, silence past the bound `offline`.
import net from 'node:net';
import { SmbProtocolError, SmbTransportError } from './errors.js';
import { connectHost } from './hostNames.js';

/** Largest message accepted from a peer: 8 MiB payloads plus headers (we never ask for more). */
export const MAX_FRAME = 8 * 1024 * 1024 + 4096;

/** MS-SMB2 2.1 Direct TCP: a zero byte and the 24-bit big-endian length in front of every message. */
export function directTcpPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(length);
  return prefix;
}

/** The length a Direct TCP prefix (the first 4 bytes of `head`) announces; null when its first byte is not zero. */
export function directTcpLength(head: Buffer): number | null {
  return head[0] === 0 ? head.readUInt32BE(0) & 0xffffff : null;
}

export interface TransportOptions {
  readonly host: string;
  readonly port: number;
  /** TCP connect bound: a silent host is `offline` within seconds (docs/ARCHITECTURE.md §7). */
  readonly connectTimeoutMs: number;
}

export class SmbTransport {
  private buffered: Buffer[] = [];
  private bufferedLength = 0;
  private closedError: Error | null = null;
  private onMessage: (message: Buffer) => void = () => {};
  private onClose: (error: Error) => void = () => {};

  private constructor(private readonly socket: net.Socket, readonly remote: string) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(this.lost(error)));
    socket.on('close', () => this.fail(new SmbTransportError('connection-lost', `The connection to ${remote} closed.`, 'The computer or the network ended the connection; retry.')));
  }

  static connect(options: TransportOptions): Promise<SmbTransport> {
    const remote = `${options.host}:${options.port}`;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: connectHost(options.host), port: options.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new SmbTransportError(
            'offline',
            `${remote} did not answer within ${(options.connectTimeoutMs / 1000).toFixed(1)} s.`,
            'The computer is off, asleep, not on this network, or a firewall drops TCP 445. Check that it is on and that "File and Printer Sharing (SMB-In)" is allowed.',
          ),
        );
      }, options.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new SmbTransport(socket, remote));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(classifyConnectError(error, remote));
      });
    });
  }

  listen(onMessage: (message: Buffer) => void, onClose: (error: Error) => void): void {
    this.onMessage = onMessage;
    this.onClose = onClose;
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** The console's own address on this connection: the address the computer reaches it at. */
  get localAddress(): string | null {
    return this.socket.localAddress ?? null;
  }

  send(message: Buffer): void {
    if (this.closedError) throw this.closedError;
    if (message.length > 0xffffff) throw new SmbProtocolError(`message of ${message.length} bytes is larger than SMB2 direct TCP allows`);
    const prefix = directTcpPrefix(message.length);
    // Two writes under cork: one segment stream, no copy of a multi-megabyte WRITE.
    this.socket.cork();
    this.socket.write(prefix);
    this.socket.write(message);
    this.socket.uncork();
  }

  close(): void {
    this.socket.destroy();
  }

  /** Ends the connection with a TCP reset: what is still in the send buffer is dropped, and the server ends its side at once (a cancelled copy). */
  reset(): void {
    if (this.socket.destroyed) return;
    this.socket.resetAndDestroy();
  }

  private receive(chunk: Buffer): void {
    this.buffered.push(chunk);
    this.bufferedLength += chunk.length;
    while (this.bufferedLength >= 4) {
      const head = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered, this.bufferedLength);
      const length = directTcpLength(head);
      if (length === null) return this.fail(new SmbProtocolError(`bad direct-TCP frame type 0x${head[0]!.toString(16)}`), true);
      if (length > MAX_FRAME) return this.fail(new SmbProtocolError(`the computer sent a ${length}-byte message, over the ${MAX_FRAME}-byte bound`), true);
      if (head.length < 4 + length) {
        this.buffered = [head];
        return;
      }
      const message = Buffer.from(head.subarray(4, 4 + length));
      const rest = head.subarray(4 + length);
      this.buffered = rest.length ? [rest] : [];
      this.bufferedLength = rest.length;
      this.onMessage(message);
      if (this.closedError) return;
    }
  }

  private lost(error: NodeJS.ErrnoException): Error {
    return new SmbTransportError('connection-lost', `The connection to ${this.remote} failed: ${error.code ?? error.message}.`, 'The network or the computer dropped the connection; retry.', error.code ?? null);
  }

  private fail(error: Error, destroy = false): void {
    if (this.closedError) return;
    this.closedError = error;
    if (destroy) this.socket.destroy();
    this.onClose(error);
  }
}

function classifyConnectError(error: NodeJS.ErrnoException, remote: string): SmbTransportError {
  switch (error.code) {
    case 'ECONNREFUSED':
      return new SmbTransportError('port-blocked', `${remote} refused the connection.`, 'The computer is on but nothing accepts TCP 445: start the Server service, or allow "File and Printer Sharing (SMB-In)" in its firewall.', error.code);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new SmbTransportError('name-not-resolved', `The name in ${remote} does not resolve.`, 'Check the computer name, or add it by IP address; check DNS.', error.code);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return new SmbTransportError('offline', `${remote} is unreachable (${error.code}).`, 'The computer is off or not on a network this console reaches.', error.code);
    default:
      return new SmbTransportError('offline', `Could not connect to ${remote}: ${error.code ?? error.message}.`, 'Check that the computer is on and reachable on TCP 445.', error.code ?? null);
  }
}
