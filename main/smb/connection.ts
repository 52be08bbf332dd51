// MS-SMB2 3.2.1.2 Connection: one TCP connection to a server, its negotiated dialect and
// limits, message ids and credits (3.2.4.1.3–5), pending requests with STATUS_PENDING interim
// responses (3.2.5.1.5), and the per-session signing (3.2.4.1.1 / 3.2.5.1.3) and encryption
// (3.2.4.1.8 / 3.2.5.1.1.1) of every message after session setup.
import crypto from 'node:crypto';
import { decryptMessage, encryptMessage, createNonceSource, type CipherId } from './crypto/encryption.js';
import { signMessage, verifySignature, type SigningAlgorithm } from './crypto/signing.js';
import { Command, HeaderFlags, decodeHeader, encodeHeader, type Smb2Header } from './codec/header.js';
import {
  ALL_DIALECTS, Capabilities, Cipher, Dialect, HASH_SHA512, SecurityMode, SigningAlg, decodeNegotiateResponse, encodeNegotiateRequest,
  type NegotiateResponse,
} from './codec/negotiate.js';
import { SmbFormatError } from './codec/wire.js';
import { SmbIntegrityError } from './crypto/errors.js';
import { ConsoleError } from '../ipc/errors.js';
import { SmbNegotiateError, SmbProtocolError, SmbStatusError, SmbTransportError } from './errors.js';
import { Status } from './ntstatus.js';
import { SmbTransport, type TransportOptions } from './transport.js';

export interface ConnectionOptions extends TransportOptions {
  /** Bound for one request's final response (interim STATUS_PENDING restarts it). */
  readonly requestTimeoutMs?: number;
  readonly dialects?: readonly number[];
  /** Injected randomness (tests make it deterministic). */
  readonly random?: (n: number) => Buffer;
}

/** What a session contributes to its messages once it is established (MS-SMB2 3.2.1.3). */
export interface SessionSecurity {
  readonly sessionId: bigint;
  signingKey: Buffer | null;
  signingAlgorithm: SigningAlgorithm;
  /** Sign requests and require signed responses. */
  signingRequired: boolean;
  encryptData: boolean;
  encryptionKey: Buffer | null;
  decryptionKey: Buffer | null;
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
  /** The body starts with 64 bytes of room the header is written into (large WRITEs: no copy). */
  readonly headerRoom?: boolean;
  /** Sees the plaintext request just before it is sent (the last SESSION_SETUP derives keys from it). */
  readonly beforeSend?: (message: Buffer) => void;
}

interface Pending {
  readonly command: number;
  readonly request: Buffer;
  readonly session: SessionSecurity | undefined;
  readonly encrypted: boolean;
  resolve(response: Response): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  readonly timeoutMs: number;
}

const CREDITS_WANTED = 512;

const signingAlgorithmNames: Record<number, SigningAlgorithm> = {
  [SigningAlg.HMAC_SHA256]: 'hmac-sha256',
  [SigningAlg.AES_CMAC]: 'aes-cmac',
  [SigningAlg.AES_GMAC]: 'aes-gmac',
};

export class SmbConnection {
  readonly clientGuid: Buffer;
  negotiated!: NegotiateResponse;
  /** 3.1.1 only: SHA-512 over NEGOTIATE request and response (3.2.5.2). */
  preauthHash: Buffer = Buffer.alloc(64);
  private nextMessageId = 0n;
  private credits = 1;
  /** Each returns true once it has taken its credits (or failed) and may be dropped. */
  private creditWaiters: (() => boolean)[] = [];
  private readonly pending = new Map<bigint, Pending>();
  private readonly sessions = new Map<bigint, SessionSecurity>();
  private nextNonce: (() => Buffer) | null = null;
  private closedError: Error | null = null;
  readonly random: (n: number) => Buffer;
  readonly requestTimeoutMs: number;

  private constructor(private readonly transport: SmbTransport, options: ConnectionOptions) {
    this.random = options.random ?? ((n) => crypto.randomBytes(n));
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
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
    if (this.dialect < Dialect.SMB300) return 'hmac-sha256';
    if (this.dialect === Dialect.SMB311 && this.negotiated.signingAlgorithm !== null) {
      return signingAlgorithmNames[this.negotiated.signingAlgorithm] ?? 'aes-cmac';
    }
    return 'aes-cmac';
  }

  /** The cipher messages are encrypted with, or null when the server offers none. */
  get cipher(): CipherId | null {
    if (this.dialect < Dialect.SMB300) return null;
    if (this.dialect === Dialect.SMB311) return (this.negotiated.cipher || null) as CipherId | null;
    return this.negotiated.capabilities & Capabilities.ENCRYPTION ? Cipher.AES128_CCM : null;
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
    const body = encodeNegotiateRequest({
      dialects,
      securityMode: SecurityMode.SIGNING_ENABLED,
      capabilities: Capabilities.LARGE_MTU | Capabilities.ENCRYPTION,
      clientGuid: this.clientGuid,
      preauthSalt: this.random(32),
      ciphers: [Cipher.AES128_GCM, Cipher.AES128_CCM, Cipher.AES256_GCM, Cipher.AES256_CCM],
      signingAlgorithms: [SigningAlg.AES_GMAC, SigningAlg.AES_CMAC, SigningAlg.HMAC_SHA256],
    });
    const response = await this.request(Command.NEGOTIATE, body);
    if (response.header.status !== Status.SUCCESS) throw new SmbStatusError(response.header.status, 'NEGOTIATE');
    let negotiated: NegotiateResponse;
    try {
      negotiated = decodeNegotiateResponse(response.message);
    } catch (error) {
      throw new SmbProtocolError(`NEGOTIATE response is malformed: ${(error as Error).message}`);
    }
    if (!dialects.includes(negotiated.dialect)) {
      throw new SmbNegotiateError(
        `The server chose dialect 0x${negotiated.dialect.toString(16)}, which the console did not offer.`,
        'The computer may only speak SMB1, which the console does not use (Windows removed it); enable SMB2/3 on it.',
      );
    }
    if (negotiated.dialect === Dialect.SMB311) {
      const offeredCiphers: readonly number[] = Object.values(Cipher);
      if (negotiated.cipher !== null && negotiated.cipher !== 0 && !offeredCiphers.includes(negotiated.cipher)) {
        throw new SmbProtocolError(`The server chose cipher 0x${negotiated.cipher.toString(16)}, which the console did not offer.`);
      }
      if (negotiated.signingAlgorithm !== null && !(negotiated.signingAlgorithm in signingAlgorithmNames)) {
        throw new SmbProtocolError(`The server chose signing algorithm 0x${negotiated.signingAlgorithm.toString(16)}, which the console did not offer.`);
      }
      if (negotiated.preauthHashAlgorithm !== HASH_SHA512) {
        throw new SmbProtocolError(`The server chose preauth hash 0x${(negotiated.preauthHashAlgorithm ?? 0).toString(16)}, not SHA-512.`);
      }
    }
    this.negotiated = negotiated;
    if (negotiated.dialect === Dialect.SMB311) {
      this.preauthHash = extendPreauthHash(extendPreauthHash(this.preauthHash, response.request), response.message);
    }
    const cipher = this.cipher;
    if (cipher !== null) this.nextNonce = createNonceSource(cipher, this.random);
  }

  /** Sends one request and resolves with its final response, whatever its status. */
  async request(command: number, body: Buffer, options: RequestOptions = {}): Promise<Response> {
    if (this.closedError) throw this.closedError;
    const charge = this.creditCharge(command, options.payloadSize ?? 0);
    await this.takeCredits(charge);
    if (this.closedError) throw this.closedError;
    const messageId = this.nextMessageId;
    this.nextMessageId += BigInt(Math.max(charge, 1));
    const session = options.session;
    const header = encodeHeader({
      creditCharge: charge,
      status: 0,
      command,
      credits: CREDITS_WANTED,
      flags: 0,
      nextCommand: 0,
      messageId,
      treeId: options.treeId ?? 0,
      asyncId: 0n,
      sessionId: session?.sessionId ?? 0n,
      signature: Buffer.alloc(16),
    });
    const message = options.headerRoom ? body : Buffer.concat([header, body]);
    if (options.headerRoom) header.copy(message, 0);
    options.beforeSend?.(message);
    const encrypt = session !== undefined && command !== Command.SESSION_SETUP && command !== Command.NEGOTIATE && (session.encryptData || options.encrypt === true);
    let wire: Buffer = message;
    if (encrypt) {
      if (!session.encryptionKey || this.cipher === null || !this.nextNonce) {
        throw new SmbNegotiateError('Encryption is required but the server offers no cipher the console shares.', 'Enable SMB 3 encryption (AES-128-GCM/CCM or AES-256) on the computer, or turn off "Encrypt SMB traffic" in Configuration.');
      }
      wire = encryptMessage(this.cipher, session.encryptionKey, session.sessionId, this.nextNonce(), message);
    } else if (session?.signingKey && session.signingRequired && command !== Command.SESSION_SETUP) {
      signMessage(session.signingAlgorithm, session.signingKey, message);
    }
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    return new Promise<Response>((resolve, reject) => {
      const pending: Pending = {
        command,
        request: message,
        session,
        encrypted: encrypt,
        resolve,
        reject,
        timeoutMs,
        timer: setTimeout(() => this.timeOut(messageId), timeoutMs),
      };
      this.pending.set(messageId, pending);
      try {
        this.transport.send(wire);
      } catch (error) {
        clearTimeout(pending.timer);
        this.pending.delete(messageId);
        reject(error as Error);
      }
    });
  }

  close(): void {
    this.shutdown(new SmbTransportError('connection-lost', 'The connection was closed by the console.', 'No action needed.'));
    this.transport.close();
  }

  get isClosed(): boolean {
    return this.closedError !== null;
  }

  private creditCharge(command: number, payloadSize: number): number {
    if (command === Command.NEGOTIATE) return 0;
    if (!this.largeMtu) return 1;
    return Math.max(1, Math.ceil(payloadSize / 65536));
  }

  private takeCredits(charge: number): Promise<void> {
    const need = Math.max(charge, 1);
    if (this.credits >= need) {
      this.credits -= need;
      return Promise.resolve();
    }
    // Only a response can grant credits: with none outstanding, waiting would never end (3.2.4.1.5).
    if (this.pending.size === 0) {
      return Promise.reject(new SmbProtocolError(`The computer granted no credits for the next request (needs ${need}, has ${this.credits}).`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.creditWaiters = this.creditWaiters.filter((w) => w !== waiter);
        reject(new SmbTransportError('timeout', 'The computer granted no credits for the next request in time.', 'The computer or the network is overloaded or stalled; retry.'));
      }, this.requestTimeoutMs);
      const waiter = () => {
        if (!this.closedError && this.credits < need) {
          if (this.pending.size > 0) return false;
          clearTimeout(timer);
          reject(new SmbProtocolError(`The computer granted no credits for the next request (needs ${need}, has ${this.credits}).`));
          return true;
        }
        clearTimeout(timer);
        if (!this.closedError) this.credits -= need;
        resolve();
        return true;
      };
      this.creditWaiters.push(waiter);
    });
  }

  private grantCredits(n: number): void {
    this.credits += n;
    this.creditWaiters = this.creditWaiters.filter((waiter) => !waiter());
  }

  private timeOut(messageId: bigint): void {
    const pending = this.pending.get(messageId);
    if (!pending) return;
    this.pending.delete(messageId);
    pending.reject(
      new SmbTransportError('timeout', `The computer did not answer a request within ${(pending.timeoutMs / 1000).toFixed(0)} s.`, 'The computer or the network is overloaded or stalled; retry.'),
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

  private dispatch(raw: Buffer): void {
    let message = raw;
    let encrypted = false;
    if (raw.length >= 4 && raw.readUInt32BE(0) === 0xfd534d42) {
      if (raw.length < 52) throw new SmbFormatError('transform header shorter than 52 bytes');
      const sessionId = raw.readBigUInt64LE(44);
      const session = this.sessions.get(sessionId);
      if (!session?.decryptionKey || this.cipher === null) throw new SmbProtocolError('The computer sent an encrypted message for a session without keys.');
      message = decryptMessage(this.cipher, session.decryptionKey, raw).message;
      encrypted = true;
    }
    const header = decodeHeader(message);
    if (!(header.flags & HeaderFlags.SERVER_TO_REDIR)) throw new SmbFormatError('a message from the server without SMB2_FLAGS_SERVER_TO_REDIR');
    if (header.nextCommand !== 0) throw new SmbFormatError('compounded responses to uncompounded requests');
    const pending = this.pending.get(header.messageId);
    if (!pending) {
      this.grantCredits(header.credits); // e.g. an oplock break (MessageId 0xFFFFFFFFFFFFFFFF): the console takes none.
      return;
    }
    if (header.status === Status.PENDING && header.flags & HeaderFlags.ASYNC_COMMAND) {
      clearTimeout(pending.timer);
      pending.timer = setTimeout(() => this.timeOut(header.messageId), pending.timeoutMs);
      this.grantCredits(header.credits);
      return;
    }
    this.pending.delete(header.messageId);
    clearTimeout(pending.timer);
    this.grantCredits(header.credits);
    const problem = this.checkIntegrity(pending, header, message, encrypted);
    if (problem) {
      pending.reject(problem);
      return;
    }
    pending.resolve({ header, message, request: pending.request });
  }

  /** MS-SMB2 3.2.5.1.3: an established session's responses are signed (or encrypted) and verify. */
  private checkIntegrity(pending: Pending, header: Smb2Header, message: Buffer, encrypted: boolean): Error | null {
    if (pending.encrypted && !encrypted) {
      return new SmbProtocolError('The computer answered an encrypted request in clear text.', 'smb-integrity', 'Something between the console and the computer tampers with SMB traffic; check the network path.');
    }
    if (encrypted) return null;
    const session = this.sessions.get(header.sessionId) ?? pending.session;
    if (!session?.signingKey || !session.signingRequired) return null;
    if (!(header.flags & HeaderFlags.SIGNED)) {
      if (pending.command === Command.SESSION_SETUP && header.status !== Status.SUCCESS) return null;
      return new SmbProtocolError(`The computer's ${commandName(pending.command)} response is not signed although signing is required.`, 'smb-integrity', 'Something between the console and the computer strips SMB signatures; check the network path.');
    }
    if (!verifySignature(session.signingAlgorithm, session.signingKey, message)) {
      return new SmbProtocolError(`The computer's ${commandName(pending.command)} response has a bad signature.`, 'smb-integrity', 'The credentials do not match the session keys, or something tampers with SMB traffic; check the account, then the network path.');
    }
    return null;
  }

  private shutdown(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    for (const [, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    this.grantCredits(0);
  }
}

/** Whatever a server's bytes make a decoder or a cipher throw becomes a typed protocol error. */
export function asProtocolError(error: unknown): ConsoleError {
  if (error instanceof ConsoleError) return error;
  if (error instanceof SmbIntegrityError) {
    return new SmbProtocolError(`An encrypted message from the computer does not verify: ${error.message}`, 'smb-integrity', 'Something between the console and the computer tampers with SMB traffic; check the network path.');
  }
  return new SmbProtocolError(`The computer sent a malformed message: ${error instanceof Error ? error.message : String(error)}`);
}

export function extendPreauthHash(hash: Buffer, message: Buffer): Buffer {
  return crypto.createHash('sha512').update(hash).update(message).digest();
}

const commandNames = new Map<number, string>(Object.entries(Command).map(([k, v]) => [v, k]));
export function commandName(command: number): string {
  return commandNames.get(command) ?? `0x${command.toString(16)}`;
}
