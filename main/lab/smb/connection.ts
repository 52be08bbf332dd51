// One client connection to a simulated host (MS-SMB2 3.3.5): direct-TCP framing with a size cap,
// the SMB1 multi-protocol negotiate, transform-header decryption (3.3.5.2.1.1), signature checks
// (3.3.5.2.4), compounded requests, related and unrelated (3.3.5.2.7), the credit window
// (3.3.1.1, 3.3.5.2.3), interim STATUS_PENDING for pipe operations that wait on the RPC server
// (3.3.4.2), then signed (3.3.4.1.1) or encrypted (3.3.4.1.4) responses. Malformed framing, a
// message id outside the window or a failed decryption ends the connection; a malformed body
// is answered with STATUS_INVALID_PARAMETER. Nothing here throws into the event loop.
import type net from 'node:net';
import { Command, HeaderFlags, SMB2_HEADER_SIZE, decodeHeader, encodeHeader, type Smb2Header } from '../../smb/codec/header.js';
import type { FileId } from '../../smb/codec/create.js';
import { decryptMessage, encryptMessage } from '../../smb/crypto/encryption.js';
import { signMessage, verifySignature } from '../../smb/crypto/signing.js';
import { MAX_FRAME } from '../../smb/transport.js';
import { cipherName, dialectName } from '../../smb/hostInfo.js';
import { commandName } from '../../smb/connection.js';
import { finishFileOpen, handleClose, handleCreate, handleFlush, handleIoctl, handleRead, handleWrite, isAllOnes } from './fileCommands.js';
import { handleQueryDirectory, handleQueryInfo, handleSetInfo } from './infoCommands.js';
import type { LabHostContext, LabOpen, LabSession, LabTree, Outcome, Request, Result } from './model.js';
import { DIALECT_WILDCARD, handleNegotiate, smb1NegotiateDialect, smb1NegotiateResponseBody, type NegotiatedConnection } from './negotiate.js';
import { encodeEmptyBody, encodeErrorBody } from './responses.js';
import { handleSessionSetup } from './sessionSetup.js';
import { LabStatus, hasNormalBody } from './status.js';
import { handleLogoff, handleTreeConnect, handleTreeDisconnect, type CommandContext } from './treeCommands.js';

/** Credits a client may hold at once (Windows grants up to 512 per connection by default). */
const CREDIT_CAP = 512;
const MAX_CHAIN = 32;
const MAX_OPENS = 1024;
/** Requests read ahead or responses waiting for the socket beyond this pause reading. */
const MAX_BUFFERED = 16 * 1024 * 1024;
const PROTOCOL_SMB2 = 0xfe534d42;
const PROTOCOL_TRANSFORM = 0xfd534d42;
const PROTOCOL_SMB1 = 0xff534d42;
const TRANSFORM_HEADER_BYTES = 52;
const COMMAND_QUERY_DIRECTORY = 0x000e;
const CHAIN_ASYNC_WAIT_MS = 1000;
/** Before any logon only NEGOTIATE and SESSION_SETUP come: a stranger cannot make the host buffer megabytes. */
const PRE_LOGON_MAX_FRAME = 64 * 1024;

interface Element {
  header: Smb2Header;
  bytes: Buffer;
}

/** What the elements of one compound chain pass on to the next (MS-SMB2 3.3.5.2.7.2). */
interface ChainState {
  sessionId: bigint;
  treeId: number;
  fileId: FileId | null;
  /** The status of the CREATE that should have produced the FileId, when it failed. */
  fileIdError: number;
}

interface Outgoing {
  header: Smb2Header;
  body: Buffer;
  signer: LabSession | null;
  sent?: (response: Buffer) => void;
}

class ConnectionDropped extends Error {}

/** The promise's value if it settles within `ms` (0: by the next turn of the event loop), else null. */
function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  return new Promise((resolve) => {
    let done = false;
    const timer = ms > 0 ? setTimeout(finish, ms) : null;
    const immediate = ms > 0 ? null : setImmediate(finish);
    function finish(): void {
      if (!done) resolve(null);
      done = true;
    }
    void promise.then((value) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      resolve(value);
    });
  });
}

export class LabSmbConnection implements CommandContext {
  negotiated: NegotiatedConnection = {
    dialect: 0, clientDialects: [], clientGuid: Buffer.alloc(16), clientSecurityMode: 0, clientCapabilities: 0, serverCapabilities: 0,
    cipher: null, signingAlgorithm: 'hmac-sha256', maxIoSize: 65536, preauth: Buffer.alloc(64),
  };
  readonly sessions = new Map<bigint, LabSession>();
  private readonly opens = new Map<bigint, LabOpen>();
  private nextOpenId = 1n;
  private nextAsyncId = 1n;
  /** Message ids below this were granted (MS-SMB2 3.3.1.1 CommandSequenceWindow, kept as its upper edge). */
  private grantedLimit = 1n;
  private balance = 1;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private expected: number | null = null;
  private frames: Buffer[] = [];
  private frameBytes = 0;
  private running = false;
  private closed = false;
  private cleanedUp = false;
  private authenticated = false;
  private throttledUntil = 0;
  private throttleTimer: NodeJS.Timeout | null = null;
  private outQueue: { at: number; data: Buffer }[] = [];
  private outBytes = 0;
  private outTimer: NodeJS.Timeout | null = null;
  readonly remote: string;

  constructor(readonly host: LabHostContext, private readonly socket: net.Socket, private readonly onGone: () => void) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.flow());
    socket.on('error', () => this.drop('socket error'));
    socket.on('close', () => this.cleanup());
  }

  /** Ends the connection now (lab shutdown, cut-mid-copy, hostile input). */
  drop(reason: string): void {
    if (!this.closed) this.host.log(`${this.remote}: connection ended (${reason})`);
    this.closed = true;
    this.socket.destroy();
    this.cleanup();
  }

  // ---- framing and flow control ------------------------------------------------------------

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    const throttle = this.host.throttle;
    if (throttle) {
      const wait = throttle.book('in', chunk.length);
      if (wait > 1) this.throttledUntil = Date.now() + wait;
    }
    this.chunks.push(chunk);
    this.chunkBytes += chunk.length;
    for (;;) {
      if (this.expected === null) {
        if (this.chunkBytes < 4) break;
        const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : Buffer.concat(this.chunks, this.chunkBytes);
        if (head[0] !== 0) return this.drop(`not a direct-TCP message (type 0x${head[0]!.toString(16)})`);
        const length = head.readUInt32BE(0) & 0xffffff;
        const cap = this.authenticated ? MAX_FRAME : PRE_LOGON_MAX_FRAME;
        if (length > cap) return this.drop(`a ${length}-byte message exceeds the ${cap}-byte cap`);
        if (length < 4) return this.drop(`a ${length}-byte message`);
        this.expected = length;
      }
      if (this.chunkBytes < 4 + this.expected) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.chunkBytes);
      const frame = all.subarray(4, 4 + this.expected);
      const rest = all.subarray(4 + this.expected);
      this.chunks = rest.length ? [rest] : [];
      this.chunkBytes = rest.length;
      this.expected = null;
      this.frames.push(frame);
      this.frameBytes += frame.length;
    }
    this.flow();
    if (!this.running && this.frames.length > 0) void this.run();
  }

  private flow(): void {
    if (this.closed) return;
    const throttled = this.throttledUntil - Date.now();
    if (throttled > 0 && !this.throttleTimer) {
      // slow-link: reading resumes when the bytes already read would have crossed the link.
      this.throttleTimer = setTimeout(() => {
        this.throttleTimer = null;
        this.flow();
      }, throttled);
    }
    const pause = throttled > 0 || this.frameBytes > MAX_BUFFERED || this.socket.writableLength > MAX_BUFFERED || this.outBytes > MAX_BUFFERED;
    if (pause && !this.socket.isPaused()) this.socket.pause();
    else if (!pause && this.socket.isPaused()) this.socket.resume();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed && this.frames.length > 0) {
        const frame = this.frames.shift()!;
        this.frameBytes -= frame.length;
        this.flow();
        await this.handleFrame(frame);
      }
    } catch (error) {
      this.drop(error instanceof ConnectionDropped ? error.message : `internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    } finally {
      this.running = false;
    }
  }

  private send(message: Buffer): void {
    if (this.closed) return;
    const framed = Buffer.allocUnsafe(4);
    framed.writeUInt32BE(message.length);
    const throttle = this.host.throttle;
    if (!throttle) {
      this.socket.cork();
      this.socket.write(framed);
      this.socket.write(message);
      this.socket.uncork();
      this.flow();
      return;
    }
    const wait = throttle.book('out', message.length + 4);
    this.outQueue.push({ at: Date.now() + wait, data: Buffer.concat([framed, message]) });
    this.outBytes += message.length + 4;
    this.scheduleOut();
    this.flow();
  }

  private scheduleOut(): void {
    if (this.outTimer || this.outQueue.length === 0 || this.closed) return;
    this.outTimer = setTimeout(() => {
      this.outTimer = null;
      while (this.outQueue.length > 0 && this.outQueue[0]!.at <= Date.now() + 1) {
        const next = this.outQueue.shift()!;
        this.outBytes -= next.data.length;
        if (!this.closed) this.socket.write(next.data);
      }
      this.scheduleOut();
      this.flow();
    }, Math.max(0, this.outQueue[0]!.at - Date.now()));
  }

  // ---- frames and chains -------------------------------------------------------------------

  private async handleFrame(frame: Buffer): Promise<void> {
    const protocol = frame.readUInt32BE(0);
    if (protocol === PROTOCOL_SMB1) return this.smb1Negotiate(frame);
    if (protocol === PROTOCOL_TRANSFORM) {
      if (frame.length < TRANSFORM_HEADER_BYTES + SMB2_HEADER_SIZE) throw new ConnectionDropped('a transform header without a message');
      const session = this.sessions.get(frame.readBigUInt64LE(44));
      const cipher = this.negotiated.cipher;
      if (!session?.decryptKey || cipher === null) throw new ConnectionDropped('an encrypted message for a session without keys');
      let message: Buffer;
      try {
        message = decryptMessage(cipher, session.decryptKey, frame).message;
      } catch {
        throw new ConnectionDropped('a message that does not decrypt');
      }
      if (!session.clientEncrypts) {
        session.clientEncrypts = true;
        this.host.log(`${this.remote}: session 0x${session.id.toString(16)} encrypts (${cipherName(cipher) ?? cipher})`);
      }
      return this.handleChain(message, session);
    }
    if (protocol !== PROTOCOL_SMB2) throw new ConnectionDropped(`protocol id 0x${protocol.toString(16)}`);
    return this.handleChain(frame, null);
  }

  private smb1Negotiate(frame: Buffer): void {
    const dialect = this.negotiated.dialect === 0 ? smb1NegotiateDialect(frame) : null;
    if (dialect === null) throw new ConnectionDropped('SMB1 (only its multi-protocol NEGOTIATE naming an SMB2 dialect is answered)');
    this.negotiated.dialect = dialect;
    this.host.log(`${this.remote}: SMB1 multi-protocol negotiate answered with dialect 0x${dialect.toString(16)}`);
    this.balance = Math.max(0, this.balance - 1);
    const grant = this.grant(1);
    const header = this.responseHeader({ creditCharge: 0, status: 0, command: Command.NEGOTIATE, credits: 1, flags: 0, nextCommand: 0, messageId: 0n, treeId: 0, asyncId: 0n, sessionId: 0n, signature: Buffer.alloc(16) }, LabStatus.SUCCESS, grant, 0n, 0);
    this.send(Buffer.concat([encodeHeader(header), smb1NegotiateResponseBody(dialect, this.host.serverGuid)]));
  }

  private splitChain(message: Buffer): Element[] {
    const elements: Element[] = [];
    for (let at = 0; ; ) {
      if (elements.length >= MAX_CHAIN) throw new ConnectionDropped(`a compound chain longer than ${MAX_CHAIN}`);
      let header: Smb2Header;
      try {
        header = decodeHeader(message.subarray(at));
      } catch (error) {
        throw new ConnectionDropped(`bad SMB2 header: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (header.flags & HeaderFlags.SERVER_TO_REDIR) throw new ConnectionDropped('a response sent as a request');
      const next = header.nextCommand;
      if (next === 0) {
        elements.push({ header, bytes: message.subarray(at) });
        return elements;
      }
      if (next < SMB2_HEADER_SIZE || next % 8 !== 0 || at + next >= message.length) throw new ConnectionDropped(`bad NextCommand ${next}`);
      elements.push({ header, bytes: message.subarray(at, at + next) });
      at += next;
    }
  }

  private async handleChain(message: Buffer, encryptedBy: LabSession | null): Promise<void> {
    const elements = this.splitChain(message);
    if (encryptedBy && elements[0]!.header.sessionId !== encryptedBy.id) throw new ConnectionDropped('the transform and SMB2 headers name different sessions');
    const negotiating = this.negotiated.dialect === 0 || this.negotiated.dialect === DIALECT_WILDCARD;
    if (negotiating && (elements.length !== 1 || elements[0]!.header.command !== Command.NEGOTIATE)) {
      throw new ConnectionDropped('a request before NEGOTIATE');
    }
    const chain: ChainState = { sessionId: 0n, treeId: 0, fileId: null, fileIdError: 0 };
    const out: Outgoing[] = [];
    for (const [i, el] of elements.entries()) {
      const h = el.header;
      if (h.command === Command.CANCEL) continue; // MS-SMB2 3.3.5.16: no response, no credit.
      const charge = Math.max(1, h.creditCharge);
      if (h.messageId + BigInt(charge) > this.grantedLimit) throw new ConnectionDropped(`message id ${h.messageId} outside the granted window`);
      this.balance = Math.max(0, this.balance - charge);
      const related = (h.flags & HeaderFlags.RELATED_OPERATIONS) !== 0;
      const sessionId = related && i > 0 ? chain.sessionId : h.sessionId;
      const treeId = related && i > 0 ? chain.treeId : h.treeId;
      if (!related) Object.assign(chain, { fileId: null, fileIdError: 0 });
      const grant = this.grant(h.credits);
      const outcome = related && i === 0 ? { status: LabStatus.INVALID_PARAMETER } : await this.process(el, sessionId, treeId, chain, encryptedBy !== null);
      let result: Result;
      if ('pending' in outcome) {
        const pending = outcome.pending.catch((error: unknown) => {
          this.host.log(`${this.remote}: pipe operation failed: ${error instanceof Error ? error.message : String(error)}`);
          return { status: LabStatus.PIPE_BROKEN } as Result;
        });
        if (i === elements.length - 1) {
          // MS-SMB2 3.3.4.2: the last request of a chain (or a lone one) may go asynchronous.
          const early = await settledWithin(pending, 0);
          if (!early) {
            const asyncId = this.nextAsyncId++;
            this.host.log(`${this.remote}: STATUS_PENDING for ${commandName(h.command)} (AsyncId ${asyncId})`);
            out.push({ header: this.responseHeader(h, LabStatus.PENDING, grant, sessionId, treeId, asyncId), body: encodeErrorBody(), signer: null });
            void pending.then((final) => this.sendFinal(el, sessionId, treeId, asyncId, final, encryptedBy));
            break;
          }
          result = early;
        } else {
          // MS-SMB2 3.3.5.2.7: a server may fail asynchronous work inside a chain; a short wait keeps
          // a fast pipe answer working, and a pipe that never answers cannot stall the connection.
          result = (await settledWithin(pending, CHAIN_ASYNC_WAIT_MS)) ?? { status: LabStatus.INTERNAL_ERROR };
        }
      } else result = outcome;
      if (result.drop) throw new ConnectionDropped(result.status === LabStatus.SUCCESS ? 'the profile cuts it' : 'the request demands it');
      chain.sessionId = result.sessionId ?? sessionId;
      chain.treeId = result.treeId ?? treeId;
      if (h.command === Command.CREATE) {
        chain.fileId = result.fileId ?? null;
        chain.fileIdError = result.fileId ? 0 : result.status;
      }
      const header = this.responseHeader(h, result.status, grant, chain.sessionId, chain.treeId);
      out.push({ header, body: this.bodyOf(result), signer: this.signerFor(result, chain.sessionId, h), ...(result.sent ? { sent: result.sent } : {}) });
    }
    if (out.length > 0) this.sendChain(out, encryptedBy);
  }

  /** Credits for this response: what was asked (at least 1), up to the cap of credits outstanding. */
  private grant(requested: number): number {
    let grant = Math.min(Math.max(requested, 1), Math.max(0, CREDIT_CAP - this.balance));
    if (this.balance + grant === 0) grant = 1;
    this.balance += grant;
    this.grantedLimit += BigInt(grant);
    return grant;
  }

  private responseHeader(h: Smb2Header, status: number, credits: number, sessionId: bigint, treeId: number, asyncId?: bigint): Smb2Header {
    const related = h.flags & HeaderFlags.RELATED_OPERATIONS;
    return {
      creditCharge: h.creditCharge,
      status: status >>> 0,
      command: h.command,
      credits,
      flags: HeaderFlags.SERVER_TO_REDIR | related | (asyncId !== undefined ? HeaderFlags.ASYNC_COMMAND : 0),
      nextCommand: 0,
      messageId: h.messageId,
      treeId,
      asyncId: asyncId ?? 0n,
      sessionId,
      signature: Buffer.alloc(16),
    };
  }

  private bodyOf(result: Result): Buffer {
    return hasNormalBody(result.status) && result.body ? result.body : encodeErrorBody();
  }

  /** MS-SMB2 3.3.4.1.1: responses of an established session are signed; so is the final SESSION_SETUP. */
  private signerFor(result: Result, sessionId: bigint, request: Smb2Header): LabSession | null {
    if (result.signWith) return result.signWith;
    if (request.command === Command.NEGOTIATE || request.command === Command.SESSION_SETUP) return null;
    const session = this.sessions.get(sessionId);
    if (!session || session.phase !== 'established') return null;
    // A request that failed its own signature check is answered unsigned.
    if (result.status === LabStatus.ACCESS_DENIED && !(request.flags & HeaderFlags.SIGNED)) return null;
    return session;
  }

  private sendChain(out: Outgoing[], encryptedBy: LabSession | null): void {
    const pieces: Buffer[] = [];
    const bounds: [number, number][] = [];
    let at = 0;
    out.forEach((o, i) => {
      let piece = Buffer.concat([encodeHeader(o.header), o.body]);
      if (i < out.length - 1) {
        const pad = (8 - (piece.length % 8)) % 8;
        if (pad) piece = Buffer.concat([piece, Buffer.alloc(pad)]);
        piece.writeUInt32LE(piece.length, 20);
      }
      pieces.push(piece);
      bounds.push([at, at + piece.length]);
      at += piece.length;
    });
    const message = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    out.forEach((o, i) => {
      const [start, end] = bounds[i]!;
      const view = message.subarray(start, end);
      if (!encryptedBy && o.signer?.signingKey) signMessage(o.signer.signingAlgorithm, o.signer.signingKey, view);
      o.sent?.(view);
    });
    this.send(encryptedBy ? this.encrypt(encryptedBy, message) : message);
  }

  private encrypt(session: LabSession, message: Buffer): Buffer {
    const cipher = this.negotiated.cipher;
    if (cipher === null || !session.encryptKey || !session.nextNonce) throw new ConnectionDropped('no encryption key for the response');
    return encryptMessage(cipher, session.encryptKey, session.id, session.nextNonce(), message);
  }

  /** The final answer of a request that went asynchronous: ASYNC flag and AsyncId, no credits (the interim granted them). */
  private sendFinal(el: Element, sessionId: bigint, treeId: number, asyncId: bigint, result: Result, encryptedBy: LabSession | null): void {
    if (this.closed) return;
    try {
      const header = this.responseHeader(el.header, result.status, 0, sessionId, treeId, asyncId);
      this.sendChain([{ header, body: this.bodyOf(result), signer: this.signerFor(result, sessionId, el.header) }], encryptedBy);
    } catch (error) {
      this.drop(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  // ---- per-request gatekeeping and dispatch ------------------------------------------------

  private async process(el: Element, sessionId: bigint, treeId: number, chain: ChainState, encrypted: boolean): Promise<Outcome> {
    const h = el.header;
    if (h.command === Command.NEGOTIATE) {
      if (this.negotiated.dialect !== 0 && this.negotiated.dialect !== DIALECT_WILDCARD) return { status: LabStatus.INVALID_PARAMETER, drop: true };
      return handleNegotiate(el.bytes, this.host.serverGuid, (n) => {
        this.negotiated = n;
        this.host.log(`${this.remote}: negotiated ${dialectName(n.dialect)}, signing ${n.signingAlgorithm}, cipher ${cipherName(n.cipher) ?? 'none'}`);
      });
    }
    if (h.command === Command.SESSION_SETUP) return handleSessionSetup(this, { sessionId }, el.bytes);
    if (h.command === Command.ECHO) return { status: LabStatus.SUCCESS, body: encodeEmptyBody() };
    const session = this.sessions.get(sessionId);
    if (!session || session.phase !== 'established') return { status: LabStatus.USER_SESSION_DELETED };
    if (!encrypted) {
      // MS-SMB2 3.3.5.2.4: signing is required, so an unsigned or badly signed request is refused.
      if (!(h.flags & HeaderFlags.SIGNED) || !session.signingKey || !verifySignature(session.signingAlgorithm, session.signingKey, el.bytes)) {
        this.host.log(`${this.remote}: ${h.flags & HeaderFlags.SIGNED ? 'bad signature' : 'unsigned request'} (command ${h.command})`);
        return { status: LabStatus.ACCESS_DENIED };
      }
    }
    const tree = session.trees.get(treeId) ?? null;
    const request: Request = { header: h, message: el.bytes, encrypted, session, tree, open: (id) => this.resolveOpen(id, session, tree, chain, (h.flags & HeaderFlags.RELATED_OPERATIONS) !== 0) };
    switch (h.command) {
      case Command.LOGOFF:
        return handleLogoff(this, request);
      case Command.TREE_CONNECT:
        return handleTreeConnect(this, request);
    }
    if (!tree) return { status: LabStatus.NETWORK_NAME_DELETED };
    switch (h.command) {
      case Command.TREE_DISCONNECT:
        return handleTreeDisconnect(this, request);
      case Command.CREATE:
        return handleCreate(this, request);
      case Command.CLOSE:
        return handleClose(this, request);
      case Command.FLUSH:
        return handleFlush(this, request);
      case Command.READ:
        return handleRead(this, request);
      case Command.WRITE:
        return handleWrite(this, request);
      case Command.IOCTL:
        return handleIoctl(this, request);
      case COMMAND_QUERY_DIRECTORY:
        return handleQueryDirectory(this, request);
      case Command.QUERY_INFO:
        return handleQueryInfo(this, request);
      case Command.SET_INFO:
        return handleSetInfo(this, request);
      case 0x000a: // LOCK
      case 0x000f: // CHANGE_NOTIFY
        return { status: LabStatus.NOT_SUPPORTED };
      default:
        return { status: LabStatus.INVALID_PARAMETER };
    }
  }

  private resolveOpen(id: FileId, session: LabSession, tree: LabTree | null, chain: ChainState, related: boolean): LabOpen | number {
    let fileId = id;
    if (related && isAllOnes(id)) {
      if (chain.fileIdError) return chain.fileIdError;
      if (!chain.fileId) return LabStatus.INVALID_HANDLE;
      fileId = chain.fileId;
    }
    const open = this.opens.get(fileId.volatile);
    if (!open || open.id !== fileId.persistent || open.session !== session || open.tree !== tree) return LabStatus.FILE_CLOSED;
    chain.fileId = fileId;
    return open;
  }

  // ---- CommandContext ----------------------------------------------------------------------

  established(session: LabSession): void {
    this.authenticated = true;
    const state = this.host.state;
    state.counters.logons++;
    state.sessions++;
    state.changed();
    this.host.log(`${this.remote}: logon ${session.domain}\\${session.user}`);
  }

  addOpen(fields: Omit<LabOpen, 'id'>): LabOpen | null {
    if (this.opens.size >= MAX_OPENS) return null;
    const open: LabOpen = { id: this.nextOpenId++, ...fields };
    this.opens.set(open.id, open);
    return open;
  }

  closeOpen(open: LabOpen): number {
    if (!this.opens.delete(open.id)) return LabStatus.FILE_CLOSED;
    return finishFileOpen(this, open);
  }

  closeTrees(session: LabSession, tree: LabTree | null): void {
    for (const open of [...this.opens.values()]) {
      if (open.session === session && (tree === null || open.tree === tree)) this.closeOpen(open);
    }
    if (tree) session.trees.delete(tree.id);
    else session.trees.clear();
  }

  logoff(session: LabSession): void {
    this.closeTrees(session, null);
    this.sessions.delete(session.id);
    if (session.phase === 'established') {
      this.host.state.sessions--;
      this.host.state.changed();
    }
    session.phase = 'new';
  }

  /** The socket is gone: every open closes (delete-on-close applies), every session ends. */
  private cleanup(): void {
    if (this.cleanedUp) return;
    this.cleanedUp = true;
    this.closed = true;
    if (this.throttleTimer) clearTimeout(this.throttleTimer);
    if (this.outTimer) clearTimeout(this.outTimer);
    this.outQueue = [];
    this.frames = [];
    this.chunks = [];
    for (const session of [...this.sessions.values()]) {
      try {
        this.logoff(session);
      } catch (error) {
        this.host.log(`${this.remote}: cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.onGone();
  }
}
