// MS-SMB2 3.2.1.2 Connection: one TCP connection to a server, its negotiated dialect and limits
// (negotiation.ts), message ids and credits (3.2.4.1.3–5, credits.ts), and pending requests with
// STATUS_PENDING interim responses (3.2.5.1.5). Each message after session setup is signed or
// encrypted, and each response checked, by its session (messageSecurity.ts).
import crypto from 'node:crypto';
import { createNonceSource, type CipherId } from './crypto/encryption.js';
import type { SigningAlgorithm } from './crypto/signing.js';
import { Command, HeaderFlags, SMB2_HEADER_SIZE, encodeHeader, splitCompound, type Smb2Header } from './codec/header.js';
import { ALL_DIALECTS, Capabilities, Dialect, SecurityMode, type NegotiateResponse } from './codec/negotiate.js';
import { SmbFormatError } from './codec/wire.js';
import { SmbTransportError } from './errors.js';
import { Status } from './ntstatus.js';
import { SmbTransport, type TransportOptions } from './transport.js';
import { CreditPool } from './credits.js';
import { acceptNegotiateResponse, cipherOf, encodeClientNegotiate, extendPreauthHash, signingAlgorithmOf } from './negotiation.js';
import {
  asProtocolError, protectRequest, responseIntegrityProblem, unprotectResponse,
  type MessageEncryption, type SentRequest, type SessionSecurity,
} from './messageSecurity.js';

export { asProtocolError, commandName, type SessionSecurity } from './messageSecurity.js';
export { extendPreauthHash } from './negotiation.js';

export interface ConnectionOptions extends TransportOptions {
  /** Bound for one request's response (30 s, Windows' own client's default). */
  readonly requestTimeoutMs?: number;
  /**
   * Bound for the final response once an interim STATUS_PENDING said the server accepted the
   * request (MS-SMB2 3.2.5.1.5: the client then waits without the request's own timer); default the
   * request bound. A call that waits on the computer (a service start) sets a longer one.
   */
  readonly acceptedTimeoutMs?: number;
  readonly dialects?: readonly number[];
  /** Injected randomness (tests make it deterministic). */
  readonly random?: (n: number) => Buffer;
}

export interface Response {
  readonly header: Smb2Header;
  /** The plaintext SMB2 message, header included (codecs decode from it). */
  readonly message: Buffer;
  /** The plaintext request as sent (for the 3.1.1 preauth integrity hash). */
  readonly request: Buffer;
}

export interface RequestOptions {
  readonly session?: SessionSecurity;
  readonly treeId?: number;
  /** Encrypt even if the session does not (a share with SMB2_SHAREFLAG_ENCRYPT_DATA). */
  readonly encrypt?: boolean;
  /** Payload size, for the credit charge of large READ/WRITE/IOCTL (3.1.5.2). */
  readonly payloadSize?: number;
  readonly timeoutMs?: number;
  /** Bound for the final response after an interim STATUS_PENDING (ConnectionOptions.acceptedTimeoutMs). */
  readonly acceptedTimeoutMs?: number;
  /** The body starts with 64 bytes of room the header is written into (large WRITEs: no copy). */
  readonly headerRoom?: boolean;
  /** Sees the plaintext request just before it is sent (the last SESSION_SETUP derives keys from it). */
  readonly beforeSend?: (message: Buffer) => void;
}

/** One request of a compounded message. */
export interface ChainRequest {
  readonly command: number;
  readonly body: Buffer;
  /** Payload size, for the credit charge of large READ/WRITE/IOCTL (3.1.5.2). */
  readonly payloadSize?: number;
  /** The body starts with 64 bytes of room the header is written into. */
  readonly headerRoom?: boolean;
}

interface Pending extends SentRequest {
  readonly request: Buffer;
  resolve(response: Response): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  timeoutMs: number;
  readonly acceptedTimeoutMs: number;
  /** An interim STATUS_PENDING came: the server is working on it. */
  accepted: boolean;
}

const CREDITS_WANTED = 512;
/** MS-SMB2 2.2.1.2: MessageId's offset in the SMB2 header. */
const MESSAGE_ID_OFFSET = 24;

export class SmbConnection {
  readonly clientGuid: Buffer;
  negotiated!: NegotiateResponse;
  /** 3.1.1 only: SHA-512 over NEGOTIATE request and response (3.2.5.2). */
  preauthHash: Buffer = Buffer.alloc(64);
  private nextMessageId = 0n;
  private readonly credits: CreditPool;
  private readonly pending = new Map<bigint, Pending>();
  private readonly sessions = new Map<bigint, SessionSecurity>();
  private encryption: MessageEncryption | null = null;
  private closedError: Error | null = null;
  readonly random: (n: number) => Buffer;
  readonly requestTimeoutMs: number;
  readonly acceptedTimeoutMs: number;
  /** Interim STATUS_PENDING responses received (diagnostics and the tests). */
  interimResponses = 0;
  /** Messages sent (a compounded chain is one) and requests in them: round trips, for diagnostics and the benchmark. */
  messagesSent = 0;
  requestsSent = 0;

  private constructor(private readonly transport: SmbTransport, options: ConnectionOptions) {
    this.random = options.random ?? ((n) => crypto.randomBytes(n));
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.acceptedTimeoutMs = Math.max(options.acceptedTimeoutMs ?? this.requestTimeoutMs, this.requestTimeoutMs);
    this.credits = new CreditPool(this.requestTimeoutMs, () => this.pending.size, () => this.closedError !== null);
    this.clientGuid = this.random(16);
    transport.listen(
      (message) => this.receive(message),
      (error) => this.shutdown(error),
    );
  }

  /** TCP connect and NEGOTIATE (3.2.4.2.2.2): offers 2.0.2 … 3.1.1 with the 3.1.1 contexts. */
  static async connect(options: ConnectionOptions): Promise<SmbConnection> {
    const transport = await SmbTransport.connect(options);
    const connection = new SmbConnection(transport, options);
    try {
      await connection.negotiate(options.dialects ?? ALL_DIALECTS);
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  }

  get dialect(): number {
    return this.negotiated.dialect;
  }

  get serverRequiresSigning(): boolean {
    return (this.negotiated.securityMode & SecurityMode.SIGNING_REQUIRED) !== 0;
  }

  get signingAlgorithm(): SigningAlgorithm {
    return signingAlgorithmOf(this.negotiated);
  }

  /** The cipher messages are encrypted with, or null when the server offers none. */
  get cipher(): CipherId | null {
    return cipherOf(this.negotiated);
  }

  get maxWriteSize(): number {
    return Math.min(this.negotiated.maxWriteSize, 8 * 1024 * 1024);
  }

  get maxReadSize(): number {
    return Math.min(this.negotiated.maxReadSize, 8 * 1024 * 1024);
  }

  get largeMtu(): boolean {
    return this.dialect > Dialect.SMB202 && (this.negotiated.capabilities & Capabilities.LARGE_MTU) !== 0;
  }

  /** The console's address as the computer sees it (the default agent callback address). */
  get localAddress(): string | null {
    return this.transport.localAddress;
  }

  registerSession(session: SessionSecurity): void {
    this.sessions.set(session.sessionId, session);
  }

  forgetSession(sessionId: bigint): void {
    this.sessions.delete(sessionId);
  }

  private async negotiate(dialects: readonly number[]): Promise<void> {
    const response = await this.request(Command.NEGOTIATE, encodeClientNegotiate(dialects, this.clientGuid, this.random));
    const negotiated = acceptNegotiateResponse(response.header, response.message, dialects);
    this.negotiated = negotiated;
    if (negotiated.dialect === Dialect.SMB311) {
      this.preauthHash = extendPreauthHash(extendPreauthHash(this.preauthHash, response.request), response.message);
    }
    const cipher = this.cipher;
    if (cipher !== null) this.encryption = { cipher, nextNonce: createNonceSource(cipher, this.random) };
  }

  /** Sends one request and resolves with its final response, whatever its status. */
  async request(command: number, body: Buffer, options: RequestOptions = {}): Promise<Response> {
    const [response] = await this.compound([{ command, body, payloadSize: options.payloadSize ?? 0, headerRoom: options.headerRoom === true }], options);
    return response!;
  }

  /**
   * Sends related requests as one compounded message (MS-SMB2 3.2.4.1.4): each after the first
   * has SMB2_FLAGS_RELATED_OPERATIONS and acts on the session, tree and FileId of the one before
   * it (a FileId of all ones, 2.2.1.2 — the file a CREATE in the chain opened). One round trip,
   * one signature per request or one encryption for the chain. The server may answer the chain
   * together or apart (3.3.4.1.3); each response resolves its own request, whatever its status.
   */
  async compound(requests: readonly ChainRequest[], options: RequestOptions = {}): Promise<Response[]> {
    if (this.closedError) throw this.closedError;
    const charges = requests.map((r) => Math.max(this.creditCharge(r.command, r.payloadSize ?? 0), 1));
    await this.credits.take(charges.reduce((sum, charge) => sum + charge, 0));
    if (this.closedError) throw this.closedError;
    const { message, parts } = this.frame(requests, charges, options);
    options.beforeSend?.(message);
    const { session } = options;
    const { wire, encrypted } = protectRequest(message, requests[0]!.command, session, options.encrypt === true, this.encryption, parts);
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const acceptedTimeoutMs = Math.max(options.acceptedTimeoutMs ?? this.acceptedTimeoutMs, timeoutMs);
    const answers = parts.map(
      (part, i) =>
        new Promise<Response>((resolve, reject) => {
          const messageId = part.readBigUInt64LE(MESSAGE_ID_OFFSET);
          this.pending.set(messageId, {
            command: requests[i]!.command,
            request: part,
            session,
            encrypted,
            resolve,
            reject,
            timeoutMs,
            acceptedTimeoutMs,
            accepted: false,
            timer: setTimeout(() => this.timeOut(messageId), timeoutMs),
          });
        }),
    );
    try {
      this.transport.send(wire);
      this.messagesSent++;
      this.requestsSent += parts.length;
    } catch (error) {
      for (const part of parts) this.forget(part.readBigUInt64LE(MESSAGE_ID_OFFSET), error as Error);
    }
    return Promise.all(answers);
  }

  private forget(messageId: bigint, error: Error): void {
    const pending = this.pending.get(messageId);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(messageId);
    pending.reject(error);
  }

  /**
   * The plaintext message: each request's SMB2 header (unsigned) and body, every one but the last
   * padded to 8 bytes with its NextCommand set (MS-SMB2 3.2.4.1.4), and the view of each request.
   * A single request with header room is sent without a copy.
   */
  private frame(requests: readonly ChainRequest[], charges: readonly number[], options: RequestOptions): { message: Buffer; parts: Buffer[] } {
    const sizes = requests.map((r, i) => {
      const size = r.headerRoom ? r.body.length : SMB2_HEADER_SIZE + r.body.length;
      return i < requests.length - 1 ? (size + 7) & ~7 : size;
    });
    const only = requests.length === 1 ? requests[0]! : null;
    const message = only?.headerRoom ? only.body : Buffer.alloc(sizes.reduce((sum, size) => sum + size, 0));
    const parts: Buffer[] = [];
    let at = 0;
    requests.forEach((r, i) => {
      const messageId = this.nextMessageId;
      this.nextMessageId += BigInt(charges[i]!);
      const last = i === requests.length - 1;
      const header = encodeHeader({
        creditCharge: r.command === Command.NEGOTIATE ? 0 : charges[i]!,
        status: 0,
        command: r.command,
        credits: CREDITS_WANTED,
        flags: i > 0 ? HeaderFlags.RELATED_OPERATIONS : 0,
        nextCommand: last ? 0 : sizes[i]!,
        messageId,
        treeId: options.treeId ?? 0,
        asyncId: 0n,
        sessionId: options.session?.sessionId ?? 0n,
        signature: Buffer.alloc(16),
      });
      if (message !== r.body) {
        if (r.headerRoom) r.body.copy(message, at);
        else r.body.copy(message, at + SMB2_HEADER_SIZE);
      }
      header.copy(message, at);
      parts.push(message.subarray(at, at + sizes[i]!));
      at += sizes[i]!;
    });
    return { message, parts };
  }

  close(): void {
    this.shutdown(new SmbTransportError('connection-lost', 'The connection was closed by the console.', 'No action needed.'));
    this.transport.close();
  }

  /** Ends the connection with a TCP reset, dropping the requests not yet sent (a cancel during a copy: megabytes of WRITEs need not cross a slow link first). */
  abort(): void {
    this.shutdown(new SmbTransportError('connection-lost', 'The connection was reset by the console.', 'No action needed.'));
    this.transport.reset();
  }

  get isClosed(): boolean {
    return this.closedError !== null;
  }

  /** MS-SMB2 3.1.5.2: NEGOTIATE costs nothing, and without large MTU every request costs one. */
  private creditCharge(command: number, payloadSize: number): number {
    if (command === Command.NEGOTIATE) return 0;
    if (!this.largeMtu) return 1;
    return Math.max(1, Math.ceil(payloadSize / 65536));
  }

  private timeOut(messageId: bigint): void {
    const pending = this.pending.get(messageId);
    if (!pending) return;
    this.pending.delete(messageId);
    const seconds = (pending.timeoutMs / 1000).toFixed(0);
    pending.reject(
      pending.accepted
        ? new SmbTransportError('timeout', `The computer accepted a request (STATUS_PENDING) but did not finish it within ${seconds} s.`, 'The computer is overloaded or stalled; retry.')
        : new SmbTransportError('timeout', `The computer did not answer a request within ${seconds} s.`, 'The computer or the network is overloaded or stalled; retry.'),
    );
    // A request whose answer never came leaves the message-id sequence unknowable: end the connection.
    this.close();
  }

  private receive(raw: Buffer): void {
    try {
      this.dispatch(raw);
    } catch (error) {
      this.shutdown(asProtocolError(error));
      this.transport.close();
    }
  }

  /** A message from the server: one response, or several compounded (each ends at its NextCommand, 8-byte aligned). */
  private dispatch(raw: Buffer): void {
    const { message, encrypted } = unprotectResponse(raw, this.sessions, this.encryption);
    for (const { header, bytes } of splitCompound(message)) this.answer(header, bytes, encrypted);
  }

  private answer(header: Smb2Header, message: Buffer, encrypted: boolean): void {
    if (!(header.flags & HeaderFlags.SERVER_TO_REDIR)) throw new SmbFormatError('a message from the server without SMB2_FLAGS_SERVER_TO_REDIR');
    const pending = this.pending.get(header.messageId);
    if (!pending) {
      this.credits.grant(header.credits); // e.g. an oplock break (MessageId 0xFFFFFFFFFFFFFFFF): the console takes none.
      return;
    }
    if (header.status === Status.PENDING && header.flags & HeaderFlags.ASYNC_COMMAND) {
      // MS-SMB2 3.2.5.1.5: an interim response (unsigned, carrying the credit grant); the final
      // answer comes later with the same MessageId, and may take as long as the work does.
      this.interimResponses++;
      clearTimeout(pending.timer);
      pending.accepted = true;
      pending.timeoutMs = pending.acceptedTimeoutMs;
      pending.timer = setTimeout(() => this.timeOut(header.messageId), pending.timeoutMs);
      this.credits.grant(header.credits);
      return;
    }
    this.pending.delete(header.messageId);
    clearTimeout(pending.timer);
    this.credits.grant(header.credits);
    const problem = responseIntegrityProblem(pending, this.sessions, header, message, encrypted);
    if (problem) {
      pending.reject(problem);
      return;
    }
    pending.resolve({ header, message, request: pending.request });
  }

  private shutdown(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    for (const [, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    this.credits.grant(0);
  }
}
