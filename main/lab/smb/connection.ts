// One client connection to a simulated host (MS-SMB2 3.3.5): direct-TCP framing with a size cap,
// the SMB1 multi-protocol negotiate, transform-header decryption (3.3.5.2.1.1), signature checks
// (3.3.5.2.4), compounded requests, related and unrelated (3.3.5.2.7), the credit window
// (3.3.1.1, 3.3.5.2.3), interim STATUS_PENDING for pipe operations that wait on the RPC server
// (3.3.4.2), then signed (3.3.4.1.1) or encrypted (3.3.4.1.4) responses. Malformed framing, a
// message id outside the window or a failed decryption ends the connection; a malformed body
// is answered with STATUS_INVALID_PARAMETER. Nothing here throws into the event loop.
// The pieces live beside it: directTcpLink (framing, flow), creditWindow, compound (chains),
// messageSecurity (signing, encryption), dispatch (which handler), openTable (the opens).
import type net from 'node:net';
import { Command, HeaderFlags, ProtocolId, encodeHeader, protocolIdOf } from '../../smb/codec/header.js';
import { Access } from '../../smb/codec/constants.js';
import { MAX_FRAME } from '../../smb/transport.js';
import { cipherName } from '../../smb/hostInfo.js';
import { commandName } from '../../smb/connection.js';
import {
  ConnectionDropped, advanceChain, bodyOf, joinResponses, responseHeader, settledWithin, splitChain, type ChainState, type Element, type Outgoing,
} from './compound.js';
import { CreditWindow } from './creditWindow.js';
import { DirectTcpLink } from './directTcpLink.js';
import { dispatchRequest, type DispatchConnection } from './dispatch.js';
import { finishFileOpen } from './fileCommands.js';
import { decryptRequest, encryptResponse, signerFor } from './messageSecurity.js';
import type { LabHostContext, LabOpen, LabSession, LabTree, Result } from './model.js';
import { DIALECT_WILDCARD, smb1NegotiateDialect, smb1NegotiateResponseBody, type NegotiatedConnection } from './negotiate.js';
import { OpenTable } from './openTable.js';
import { encodeErrorBody } from '../../smb/codec/errorBody.js';
import { Status } from '../../smb/ntstatus.js';
import { windowsLike } from '../hostState.js';

const CHAIN_ASYNC_WAIT_MS = 1000;
/** What Windows writes in a sync header's Reserved field. */
const WINDOWS_PROCESS_ID = 0xfeff;
/** The windows personality's wait before an interim response: a quick pipe call is answered at once. */
const WINDOWS_ASYNC_AFTER_MS = 5;
/** Before any logon only NEGOTIATE and SESSION_SETUP come: a stranger cannot make the host buffer megabytes. */
const PRE_LOGON_MAX_FRAME = 64 * 1024;

/** One request's place in its chain: what its interim and final responses are built from. */
interface Slot {
  el: Element;
  grant: number;
  sessionId: bigint;
  treeId: number;
  encryptedBy: LabSession | null;
}

/** GENERIC_WRITE, FILE_WRITE_DATA, FILE_APPEND_DATA. */
const WRITE_ACCESS = Access.GENERIC_WRITE | Access.FILE_WRITE_DATA | Access.FILE_APPEND_DATA;
/** A file opened for writing in a run's package folder (ADMIN$\PushInstall\<run>\package\): the SMB transport's copy. */
const isPackageCopy = (open: LabOpen): boolean => open.kind === 'file' && (open.access & WRITE_ACCESS) !== 0 && /^pushinstall\\[^\\]+\\package\\/.test(open.key);

export class LabSmbConnection implements DispatchConnection {
  negotiated: NegotiatedConnection = {
    dialect: 0, clientDialects: [], clientGuid: Buffer.alloc(16), clientSecurityMode: 0, clientCapabilities: 0, serverCapabilities: 0,
    cipher: null, signingAlgorithm: 'hmac-sha256', maxIoSize: 65536, preauth: Buffer.alloc(64),
  };
  readonly sessions = new Map<bigint, LabSession>();
  readonly opens = new OpenTable();
  private readonly credits = new CreditWindow();
  private readonly link: DirectTcpLink;
  private nextAsyncId = 1n;
  private running = false;
  private cleanedUp = false;
  private authenticated = false;
  readonly remote: string;

  constructor(readonly host: LabHostContext, private readonly socket: net.Socket, private readonly onGone: () => void) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.link = new DirectTcpLink(socket, host.throttle);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.link.flow());
    socket.on('error', () => this.drop('socket error'));
    socket.on('close', () => this.cleanup());
  }

  /** Ends the connection now (lab shutdown, cut-mid-copy, hostile input). */
  drop(reason: string): void {
    if (!this.link.closed) this.host.log(`${this.remote}: connection ended (${reason})`);
    this.link.closed = true;
    this.socket.destroy();
    this.cleanup();
  }

  // ---- frames and chains -------------------------------------------------------------------

  private receive(chunk: Buffer): void {
    if (this.link.closed) return;
    const refused = this.link.receive(chunk, this.authenticated ? MAX_FRAME : PRE_LOGON_MAX_FRAME);
    if (refused !== null) return this.drop(refused);
    this.link.flow();
    if (!this.running && this.link.hasFrames) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.link.closed) {
        const frame = this.link.nextFrame();
        if (!frame) break;
        this.link.flow();
        await this.handleFrame(frame);
      }
    } catch (error) {
      this.drop(error instanceof ConnectionDropped ? error.message : `internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    } finally {
      this.running = false;
    }
  }

  private async handleFrame(frame: Buffer): Promise<void> {
    const protocol = protocolIdOf(frame);
    if (protocol === ProtocolId.SMB1) return this.smb1Negotiate(frame);
    if (protocol === ProtocolId.TRANSFORM) {
      const cipher = this.negotiated.cipher;
      const { message, session } = decryptRequest(frame, this.sessions, cipher);
      if (!session.clientEncrypts) {
        session.clientEncrypts = true;
        this.host.log(`${this.remote}: session 0x${session.id.toString(16)} encrypts (${cipherName(cipher) ?? cipher})`);
      }
      return this.handleChain(message, session);
    }
    if (protocol !== ProtocolId.SMB2) throw new ConnectionDropped(`protocol id 0x${protocol.toString(16)}`);
    return this.handleChain(frame, null);
  }

  private smb1Negotiate(frame: Buffer): void {
    const dialect = this.negotiated.dialect === 0 ? smb1NegotiateDialect(frame) : null;
    if (dialect === null) throw new ConnectionDropped('SMB1 (only its multi-protocol NEGOTIATE naming an SMB2 dialect is answered)');
    this.negotiated.dialect = dialect;
    this.host.log(`${this.remote}: SMB1 multi-protocol negotiate answered with dialect 0x${dialect.toString(16)}`);
    this.credits.spend(1);
    const grant = this.credits.grant(1);
    const header = responseHeader({ creditCharge: 0, status: 0, command: Command.NEGOTIATE, credits: 1, flags: 0, nextCommand: 0, messageId: 0n, treeId: 0, asyncId: 0n, sessionId: 0n, signature: Buffer.alloc(16) }, Status.SUCCESS, grant, 0n, 0, undefined, this.processId);
    this.link.send(Buffer.concat([encodeHeader(header), smb1NegotiateResponseBody(dialect, { serverGuid: this.host.serverGuid, personality: this.host.state.config.personality })]));
  }

  private async handleChain(message: Buffer, encryptedBy: LabSession | null): Promise<void> {
    const elements = splitChain(message);
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
      if (!this.credits.take(h.messageId, h.creditCharge)) throw new ConnectionDropped(`message id ${h.messageId} outside the granted window`);
      const related = (h.flags & HeaderFlags.RELATED_OPERATIONS) !== 0;
      const sessionId = related && i > 0 ? chain.sessionId : h.sessionId;
      const treeId = related && i > 0 ? chain.treeId : h.treeId;
      if (!related) Object.assign(chain, { fileId: null, fileIdError: 0 });
      const slot: Slot = { el, grant: 0, sessionId, treeId, encryptedBy };
      const outcome = related && i === 0 ? { status: Status.INVALID_PARAMETER } : await dispatchRequest(this, el, sessionId, treeId, chain, encryptedBy !== null);
      slot.grant = this.grantFor(h.command, h.credits, 'pending' in outcome ? null : outcome.status);
      const result = 'pending' in outcome ? await this.settle(outcome.pending, slot, i === elements.length - 1) : outcome;
      if ('interim' in result) {
        out.push(result.interim);
        break;
      }
      if (result.drop) throw new ConnectionDropped(result.status === Status.SUCCESS ? 'the profile cuts it' : 'the request demands it');
      advanceChain(chain, h, result, sessionId, treeId);
      this.countOverflow(h.command, result.status);
      const header = responseHeader(h, result.status, slot.grant, chain.sessionId, chain.treeId, undefined, this.processId);
      out.push({ header, body: bodyOf(result), signer: signerFor(this.sessions, result, chain.sessionId, h), ...(result.sent ? { sent: result.sent } : {}) });
    }
    if (out.length > 0) this.sendChain(out, encryptedBy);
  }

  /** A pipe IOCTL or READ cut at the client's size: the rest of the message waits for a READ (MS-SMB2 3.3.5.15.8). */
  private countOverflow(command: number, status: number): void {
    if (status === Status.BUFFER_OVERFLOW && (command === Command.IOCTL || command === Command.READ)) this.host.state.counters.bufferOverflowReads++;
  }

  /** The header's Reserved field in sync responses: Windows writes 0xFEFF there (codec/header.ts). */
  private get processId(): number {
    return this.windows ? WINDOWS_PROCESS_ID : 0;
  }

  private get windows(): boolean {
    return windowsLike(this.host.state.config);
  }

  /**
   * The credits a response grants (MS-SMB2 3.3.1.2: the server's algorithm is its own). Windows
   * grants exactly one on the NEGOTIATE response and on each STATUS_MORE_PROCESSING_REQUIRED leg
   * of SESSION_SETUP, and what was asked (within its window) once logged on: in Microsoft's
   * recorded Windows 10 logon (test/fixtures/windows/ms-anatomy-smb311-multichannel.txt) the
   * NEGOTIATE and the first SESSION_SETUP response carry CreditResponse 1 and the final one the 128
   * asked for; the Windows 7-era PsExec recording's NEGOTIATE response too carries 1. Samba grants
   * what was asked throughout.
   */
  private grantFor(command: number, requested: number, status: number | null): number {
    const leg = command === Command.NEGOTIATE || (command === Command.SESSION_SETUP && status === Status.MORE_PROCESSING_REQUIRED);
    if (!leg || !this.windows) return this.credits.grant(requested);
    this.host.state.counters.oneCreditGrants++;
    return this.credits.grant(1);
  }

  /**
   * A pipe operation that waits on the RPC server. MS-SMB2 3.3.4.2: the last request of a chain (or
   * a lone one) may go asynchronous — an interim STATUS_PENDING now, the final answer when it comes.
   * 3.3.5.2.7: a server may fail asynchronous work inside a chain; a short wait keeps a fast pipe
   * answer working, and a pipe that never answers cannot stall the connection.
   */
  private async settle(outcome: Promise<Result>, slot: Slot, last: boolean): Promise<Result | { interim: Outgoing }> {
    const pending = outcome.catch((error: unknown) => {
      this.host.log(`${this.remote}: pipe operation failed: ${error instanceof Error ? error.message : String(error)}`);
      return { status: Status.PIPE_BROKEN } as Result;
    });
    if (!last) return (await settledWithin(pending, CHAIN_ASYNC_WAIT_MS)) ?? { status: Status.INTERNAL_ERROR };
    // Windows' srv2 waits a moment for the pipe's server, then answers what is still not done with
    // an interim STATUS_PENDING (MS-SMB2 3.3.4.2). In the PsExec recording of Windows in
    // test/fixtures/windows/ (suricata-psexec-smb21-svcctl.txt) every quick svcctl transceive is
    // answered at once and only the READs that wait on a pipe go asynchronous (interim with a
    // credit, final with CreditResponse 0); a call that waits on something — RStartServiceW until
    // the service reports — does too. smbd goes asynchronous whenever the answer is not ready now.
    const early = await settledWithin(pending, this.windows ? WINDOWS_ASYNC_AFTER_MS : 0);
    if (early) return early;
    const asyncId = this.nextAsyncId++;
    this.host.state.counters.interimResponses++;
    const h = slot.el.header;
    this.host.log(`${this.remote}: STATUS_PENDING for ${commandName(h.command)} (AsyncId ${asyncId})`);
    void pending.then((final) => this.sendFinal(slot, asyncId, final));
    return { interim: { header: responseHeader(h, Status.PENDING, slot.grant, slot.sessionId, slot.treeId, asyncId), body: encodeErrorBody(), signer: null } };
  }

  private sendChain(out: Outgoing[], encryptedBy: LabSession | null): void {
    const message = joinResponses(out, encryptedBy !== null);
    this.link.send(encryptedBy ? encryptResponse(this.negotiated.cipher, encryptedBy, message) : message);
  }

  /** The final answer of a request that went asynchronous: ASYNC flag and AsyncId, no credits (the interim granted them). */
  private sendFinal(slot: Slot, asyncId: bigint, result: Result): void {
    if (this.link.closed) return;
    const { el, sessionId, treeId } = slot;
    try {
      this.countOverflow(el.header.command, result.status);
      const header = responseHeader(el.header, result.status, 0, sessionId, treeId, asyncId);
      this.sendChain([{ header, body: bodyOf(result), signer: signerFor(this.sessions, result, sessionId, el.header) }], slot.encryptedBy);
    } catch (error) {
      this.drop(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    }
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
    const open = this.opens.add(fields);
    if (open && isPackageCopy(open)) this.countPackageWrite(+1);
    return open;
  }

  closeOpen(open: LabOpen): number {
    if (!this.opens.delete(open)) return Status.FILE_CLOSED;
    if (isPackageCopy(open)) this.countPackageWrite(-1);
    return finishFileOpen(this, open);
  }

  private countPackageWrite(delta: number): void {
    this.host.state.packageWrites += delta;
    this.host.state.changed();
  }

  closeTrees(session: LabSession, tree: LabTree | null): void {
    for (const open of this.opens.of(session, tree)) this.closeOpen(open);
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
    this.link.stop();
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
