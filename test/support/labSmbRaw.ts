// A raw SMB2 peer for the lab server's tests: frames written by hand (any header, compounds,
// mutated bytes), a 2.1 NTLMv2 logon built from the console's own NTLM/SPNEGO pieces, and
// HMAC-SHA256 signing with the session key — so tests reach the server's body decoders with
// requests no well-behaved client would send.
import crypto from 'node:crypto';
import net from 'node:net';
import { buildAuthenticateMessage, decodeChallengeMessage, encodeNegotiateMessage, ntHash, ntlmMessageSignature } from '../../main/smb/auth/ntlm/client.js';
import { NegState, decodeNegTokenResp, encodeMechTypeList, encodeNegTokenInit, encodeNegTokenResp } from '../../main/smb/auth/spnego.js';
import { Command, HeaderFlags, decodeHeader, encodeHeader, type Smb2Header } from '../../main/smb/codec/header.js';
import { Capabilities, SecurityMode, encodeNegotiateRequest } from '../../main/smb/codec/negotiate.js';
import { decodeSessionSetupResponse, encodeSessionSetupRequest } from '../../main/smb/codec/sessionSetup.js';
import { signMessage } from '../../main/smb/crypto/signing.js';

export type Received = { kind: 'frame'; data: Buffer } | { kind: 'closed' } | { kind: 'timeout' };

export interface RawRequest {
  command: number;
  body: Buffer;
  sessionId?: bigint;
  treeId?: number;
  flags?: number;
  creditCharge?: number;
  credits?: number;
  messageId?: bigint;
  nextCommand?: number;
}

export class RawSmb {
  private buffered = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiter: (() => void) | null = null;
  closed = false;
  nextMessageId = 0n;
  sessionId = 0n;
  signingKey: Buffer | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + (this.buffered.readUInt32BE(0) & 0xffffff)) {
        const length = this.buffered.readUInt32BE(0) & 0xffffff;
        this.frames.push(Buffer.from(this.buffered.subarray(4, 4 + length)));
        this.buffered = this.buffered.subarray(4 + length);
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(host: string, port: number): Promise<RawSmb> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.once('connect', () => resolve(new RawSmb(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** The next frame from the server, or closed, or nothing within `timeoutMs`. */
  async next(timeoutMs = 2000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.shift();
      if (frame) return { kind: 'frame', data: frame };
      if (this.closed) return { kind: 'closed' };
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'timeout' };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  sendBytes(bytes: Buffer): void {
    if (!this.closed) this.socket.write(bytes);
  }

  sendFrame(message: Buffer): void {
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(message.length);
    this.sendBytes(Buffer.concat([prefix, message]));
  }

  /** One request message (header + body), signed with the session key when `sign`. */
  message(r: RawRequest, sign = this.signingKey !== null): Buffer {
    const charge = r.creditCharge ?? 1;
    const messageId = r.messageId ?? this.nextMessageId;
    if (r.messageId === undefined) this.nextMessageId += BigInt(Math.max(1, charge));
    const header: Smb2Header = {
      creditCharge: charge, status: 0, command: r.command, credits: r.credits ?? 64, flags: r.flags ?? 0, nextCommand: r.nextCommand ?? 0,
      messageId, treeId: r.treeId ?? 0, asyncId: 0n, sessionId: r.sessionId ?? this.sessionId, signature: Buffer.alloc(16),
    };
    const message = Buffer.concat([encodeHeader(header), r.body]);
    if (sign && this.signingKey) signMessage('hmac-sha256', this.signingKey, message);
    return message;
  }

  /** Sends one request and waits for its final response (interim STATUS_PENDING skipped). */
  async request(r: RawRequest, timeoutMs = 3000): Promise<{ header: Smb2Header; message: Buffer } | null> {
    this.sendFrame(this.message(r));
    return this.response(timeoutMs);
  }

  async response(timeoutMs = 3000): Promise<{ header: Smb2Header; message: Buffer } | null> {
    for (;;) {
      const got = await this.next(timeoutMs);
      if (got.kind !== 'frame') return null;
      const header = decodeHeader(got.data);
      if (header.status === 0x103 && header.flags & HeaderFlags.ASYNC_COMMAND) continue;
      return { header, message: got.data };
    }
  }

  /** SMB 2.1 NEGOTIATE and an NTLMv2 logon in SPNEGO; afterwards requests are signed (HMAC-SHA256). */
  async logon(user: string, password: string, domain = ''): Promise<number> {
    const negotiate = await this.request({
      command: Command.NEGOTIATE,
      body: encodeNegotiateRequest({ dialects: [0x0202, 0x0210], securityMode: SecurityMode.SIGNING_ENABLED, capabilities: Capabilities.LARGE_MTU, clientGuid: crypto.randomBytes(16), preauthSalt: Buffer.alloc(32), ciphers: [], signingAlgorithms: [] }),
    });
    if (!negotiate || negotiate.header.status !== 0) throw new Error('NEGOTIATE failed');
    const negotiateMessage = encodeNegotiateMessage();
    const first = await this.request({
      command: Command.SESSION_SETUP,
      body: encodeSessionSetupRequest({ securityMode: 1, capabilities: 0, securityBuffer: encodeNegTokenInit(negotiateMessage) }),
    });
    if (!first) throw new Error('SESSION_SETUP leg 1: no answer');
    this.sessionId = first.header.sessionId;
    const challengeToken = decodeNegTokenResp(decodeSessionSetupResponse(first.message).securityBuffer).responseToken!;
    const auth = buildAuthenticateMessage({
      negotiateMessage, challengeMessage: challengeToken, challenge: decodeChallengeMessage(challengeToken), user, domain, workstation: 'FUZZ',
      ntHash: ntHash(password), clientChallenge: crypto.randomBytes(8), exportedSessionKey: crypto.randomBytes(16), targetSpn: 'cifs/lab',
    });
    const mic = ntlmMessageSignature(auth.exportedSessionKey, encodeMechTypeList(), { sender: 'client', keyExchange: true });
    const second = await this.request({
      command: Command.SESSION_SETUP,
      body: encodeSessionSetupRequest({ securityMode: 1, capabilities: 0, securityBuffer: encodeNegTokenResp(auth.message, mic, NegState.ACCEPT_INCOMPLETE) }),
    });
    if (!second) throw new Error('SESSION_SETUP leg 2: no answer');
    if (second.header.status === 0) this.signingKey = auth.exportedSessionKey;
    return second.header.status >>> 0;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Frames a message with the 4-byte direct-TCP prefix. */
export function framed(message: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(message.length);
  return Buffer.concat([prefix, message]);
}
