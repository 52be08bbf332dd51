// A connection-oriented DCE/RPC server for one pipe open (MS-RPCE 3.3.3, ncacn_np): bind and
// alter_context negotiation, request reassembly (PFC_FIRST_FRAG .. PFC_LAST_FRAG), response
// fragmentation at the negotiated max_xmit_frag, and faults instead of crashes for anything
// malformed. Calls on one pipe run one at a time, as a synchronous RPC client issues them; the
// interface behind it decodes stubs and answers. Sizes are bounded: one PDU is at most 64 KiB
// (frag_length is 16 bits), one reassembled request at most `maxRequestStub`.
import { RpcProtocolError } from '../../rpc/errors.js';
import {
  BindResult, BindTimeFeature, COMMON_HEADER_SIZE, FaultStatus, MIN_FRAG, NDR20, NakReason, PType, PfcFlags, ProviderReason, decodeBind, decodeRequest,
  encodeBindAck, encodeBindNak, encodeFault, encodeResponseFragments, featureNegotiationBits, headerIsSound, peekHeader, sameSyntax, type ContextResult, type SyntaxId,
} from '../../rpc/pdu.js';
import { windowsLike, type LabPersonality } from '../hostState.js';
import type { PipeEndpoint } from '../pipe.js';

/** One RPC interface served behind the pipe: it answers a call's stub, or throws RpcCallFault. */
export interface RpcInterface {
  readonly syntax: SyntaxId;
  /** The bind_ack's secondary address, e.g. \PIPE\svcctl. */
  readonly secondaryAddress: string;
  call(opnum: number, stub: Buffer): Buffer | Promise<Buffer>;
  /** The pipe closed (context handle rundown). */
  close(): void;
}

/** A call ends in a fault PDU with this status (nca_s_op_rng_error for an unknown opnum, say). */
export class RpcCallFault extends Error {
  constructor(readonly status: number, readonly didNotExecute = true) {
    super(`RPC fault 0x${status.toString(16).padStart(8, '0')}`);
    this.name = 'RpcCallFault';
  }
}

export interface RpcServerOptions {
  /**
   * The server's own fragment limit. Windows answers 4280 / 4280 over named pipes: a bind_ack kept
   * byte for byte in DynamoRIO's core/win32/eventlog.c ("Max Xmit Frag: 4280, Max Recv Frag: 4280",
   * secondary address \PIPE\ntsvcs) and the tshark listing in Zeek's "SMB Logs" documentation
   * ("Bind_ack: … max_xmit: 4280 max_recv: 4280"); MS-RPCE 3.3.3.5.4 names 4280 the floor.
   */
  readonly maxFrag?: number;
  /** Largest reassembled request stub. */
  readonly maxRequestStub?: number;
  /** An interface method threw something unexpected (a bug): the client gets nca_s_fault_unspec. */
  readonly onInternalError?: (error: unknown) => void;
  /** Where Windows and Samba answer differently (hostState.ts LabPersonality); default 'windows'. */
  readonly personality?: LabPersonality;
}

/**
 * The bind-time features the lab acknowledges under 'windows': both bits a client offers come back
 * in the negotiate_ack's reason (MS-RPCE 3.3.1.5.3; Samba's python/samba/tests/dcerpc/raw_protocol.py,
 * written against Windows, expects each offered bit echoed: test_no_auth_bind_time_keep_on_orphan_simple,
 * test_no_auth_bind_time_sec_ctx_ignore_additional). 'samba' keeps the lab's earlier answer, no bits.
 */
const WINDOWS_BIND_TIME_FEATURES = BindTimeFeature.SECURITY_CONTEXT_MULTIPLEXING | BindTimeFeature.KEEP_CONNECTION_ON_ORPHAN;

/**
 * A fault's alloc_hint: Windows sends a non-zero one (raw_protocol.py test_no_auth_request_invalid_opnum…
 * asserts alloc_hint != 0 on the nca_s_op_rng_error fault); the lab gives the fault PDU's own length.
 * 'samba' keeps the lab's earlier 0.
 */
const WINDOWS_FAULT_ALLOC_HINT = 32;

/** The lab's floor for a negotiated fragment: a 24-byte header and 8 bytes of stub. Windows' floor is higher; tests force many fragments with less. */
const SMALLEST_FRAG = 32;

interface PendingCall {
  callId: number;
  contextId: number;
  opnum: number;
  parts: Buffer[];
  size: number;
}

export class RpcServerConnection implements PipeEndpoint {
  private buffered = Buffer.alloc(0);
  private queue: Promise<unknown> = Promise.resolve();
  private bound = false;
  private closed = false;
  private maxXmitFrag = MIN_FRAG;
  private maxRecvFrag = MIN_FRAG;
  private assocGroupId = 0;
  private readonly contexts = new Set<number>();
  private pending: PendingCall | null = null;
  private readonly maxFrag: number;
  private readonly maxRequestStub: number;

  constructor(private readonly iface: RpcInterface, private readonly options: RpcServerOptions = {}) {
    this.maxFrag = Math.min(options.maxFrag ?? MIN_FRAG, 0xffff);
    this.maxRequestStub = options.maxRequestStub ?? 1024 * 1024;
    this.windows = windowsLike(options);
  }

  private readonly windows: boolean;

  /** The fragment sizes negotiated at bind: what the server sends, what it accepts. */
  get negotiated(): { maxXmitFrag: number; maxRecvFrag: number } {
    return { maxXmitFrag: this.maxXmitFrag, maxRecvFrag: this.maxRecvFrag };
  }

  write(data: Buffer): Promise<Buffer> {
    const run = this.queue.then(() => this.consume(data));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = null;
    this.buffered = Buffer.alloc(0);
    this.iface.close();
  }

  private async consume(data: Buffer): Promise<Buffer> {
    if (this.closed) return Buffer.alloc(0);
    this.buffered = this.buffered.length === 0 ? Buffer.from(data) : Buffer.concat([this.buffered, data]);
    const out: Buffer[] = [];
    // A write normally carries one PDU; a client may split one (impacket writes at most
    // max_xmit_frag per WRITE) or send several.
    while (this.buffered.length >= COMMON_HEADER_SIZE && !this.closed) {
      const b = this.buffered;
      const { fragLength, callId, ptype } = peekHeader(b);
      if (!headerIsSound(b)) {
        // Nothing after a broken header can be trusted: answer once and drop what is buffered.
        this.buffered = Buffer.alloc(0);
        this.pending = null;
        out.push(ptype === PType.BIND ? encodeBindNak(callId, NakReason.PROTOCOL_VERSION_NOT_SUPPORTED) : this.fault(callId, 0, FaultStatus.PROTO_ERROR));
        break;
      }
      if (b.length < fragLength) break;
      const pdu = b.subarray(0, fragLength);
      this.buffered = b.subarray(fragLength);
      out.push(...(await this.handle(pdu)));
    }
    if (this.buffered.length > 0) this.buffered = Buffer.from(this.buffered); // do not pin the caller's buffer
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  private fault(callId: number, contextId: number, status: number, didNotExecute = true): Buffer {
    return encodeFault({ callId, contextId, status, didNotExecute, allocHint: this.windows ? WINDOWS_FAULT_ALLOC_HINT : 0 });
  }

  private async handle(pdu: Buffer): Promise<Buffer[]> {
    const { ptype, callId } = peekHeader(pdu);
    switch (ptype) {
      case PType.BIND:
      case PType.ALTER_CONTEXT:
        return [this.bind(pdu)];
      case PType.REQUEST:
        return this.request(pdu);
      case PType.AUTH3:
      case PType.CO_CANCEL:
        return [];
      case PType.ORPHANED:
        this.pending = null;
        return [];
      default:
        return [this.fault(callId, 0, FaultStatus.PROTO_ERROR)];
    }
  }

  private bind(pdu: Buffer): Buffer {
    const { callId, ptype } = peekHeader(pdu);
    const isBind = ptype === PType.BIND;
    let bind;
    try {
      bind = decodeBind(pdu);
    } catch (error) {
      if (!(error instanceof RpcProtocolError)) throw error;
      return isBind ? encodeBindNak(callId, NakReason.NOT_SPECIFIED) : this.fault(callId, 0, FaultStatus.PROTO_ERROR);
    }
    // No RPC-level authentication over ncacn_np here: the SMB session is the identity.
    if (bind.header.authLength !== 0) return isBind ? encodeBindNak(callId, NakReason.AUTHENTICATION_TYPE_NOT_RECOGNIZED) : this.fault(callId, 0, FaultStatus.PROTO_ERROR);
    if (isBind) {
      if (this.bound) return encodeBindNak(callId, NakReason.NOT_SPECIFIED); // one bind per association
      if (bind.maxRecvFrag < SMALLEST_FRAG || bind.maxXmitFrag < SMALLEST_FRAG) return encodeBindNak(callId, NakReason.LOCAL_LIMIT_EXCEEDED);
      // Each side sends no more than the other receives, and never more than the server's own limit.
      this.maxXmitFrag = Math.min(bind.maxRecvFrag, this.maxFrag);
      this.maxRecvFrag = Math.min(bind.maxXmitFrag, this.maxFrag);
      this.assocGroupId = bind.assocGroupId || 0x10000 + Math.floor(Math.random() * 0xefff);
      this.bound = true;
    } else if (!this.bound) {
      return this.fault(callId, 0, FaultStatus.PROTO_ERROR);
    }
    // One result per presented context, in order (C706 12.6.4.4): NDR 2.0 accepted, the
    // feature-negotiation context answered negotiate_ack (MS-RPCE 3.3.1.5.3), anything else
    // (NDR64, an unknown interface) a provider rejection — as Windows answers its own clients'
    // three-context bind: "3 results: Provider rejection, Acceptance, Negotiate ACK" (tshark of a
    // Windows capture in Zeek's documentation, "SMB Logs (plus DCE-RPC, Kerberos, NTLM)").
    const results: ContextResult[] = bind.contexts.map((ctx) => {
      // Only the first transfer syntax is looked at, as Windows and smbd do (raw_protocol.py test_no_auth_bind_time_only_first).
      const features = featureNegotiationBits(ctx.transfers[0]!);
      if (features !== null) return { result: BindResult.NEGOTIATE_ACK, reason: this.windows ? features & WINDOWS_BIND_TIME_FEATURES : 0, transfer: null };
      if (!sameSyntax(ctx.abstract, this.iface.syntax)) return { result: BindResult.PROVIDER_REJECTION, reason: ProviderReason.ABSTRACT_SYNTAX_NOT_SUPPORTED, transfer: null };
      if (!ctx.transfers.some((t) => sameSyntax(t, NDR20))) return { result: BindResult.PROVIDER_REJECTION, reason: ProviderReason.TRANSFER_SYNTAXES_NOT_SUPPORTED, transfer: null };
      this.contexts.add(ctx.contextId);
      return { result: BindResult.ACCEPTANCE, reason: 0, transfer: NDR20 };
    });
    return encodeBindAck({
      ptype: isBind ? PType.BIND_ACK : PType.ALTER_CONTEXT_RESP,
      callId,
      maxXmitFrag: this.maxXmitFrag,
      maxRecvFrag: this.maxRecvFrag,
      assocGroupId: this.assocGroupId,
      secondaryAddress: isBind ? this.iface.secondaryAddress : '',
      results,
    });
  }

  private async request(pdu: Buffer): Promise<Buffer[]> {
    const { callId } = peekHeader(pdu);
    let req;
    try {
      req = decodeRequest(pdu);
    } catch (error) {
      if (!(error instanceof RpcProtocolError)) throw error;
      this.pending = null;
      return [this.fault(callId, 0, FaultStatus.PROTO_ERROR)];
    }
    const flags = req.header.flags;
    if (!this.bound || pdu.length > this.maxRecvFrag) {
      this.pending = null;
      return [this.fault(callId, req.contextId, FaultStatus.PROTO_ERROR)];
    }
    if (flags & PfcFlags.FIRST_FRAG) {
      if (this.pending) {
        this.pending = null;
        return [this.fault(callId, req.contextId, FaultStatus.PROTO_ERROR)]; // a new call before the last one was whole
      }
      this.pending = { callId, contextId: req.contextId, opnum: req.opnum, parts: [], size: 0 };
    } else if (!this.pending || this.pending.callId !== callId) {
      this.pending = null;
      return [this.fault(callId, req.contextId, FaultStatus.PROTO_ERROR)]; // a middle or last fragment without its first
    }
    const call = this.pending;
    call.parts.push(req.stub);
    call.size += req.stub.length;
    if (call.size > this.maxRequestStub) {
      this.pending = null;
      return [this.fault(callId, call.contextId, FaultStatus.PROTO_ERROR)];
    }
    if (!(flags & PfcFlags.LAST_FRAG)) return [];
    this.pending = null;
    return this.dispatch(call);
  }

  private async dispatch(call: PendingCall): Promise<Buffer[]> {
    if (!this.contexts.has(call.contextId)) return [this.fault(call.callId, call.contextId, FaultStatus.UNK_IF)];
    let stub: Buffer;
    try {
      stub = await this.iface.call(call.opnum, call.parts.length === 1 ? call.parts[0]! : Buffer.concat(call.parts));
    } catch (error) {
      if (error instanceof RpcCallFault) return [this.fault(call.callId, call.contextId, error.status, error.didNotExecute)];
      // A stub the interface cannot unmarshal (MS-RPCE: the server faults with RPC_X_BAD_STUB_DATA).
      if (error instanceof RpcProtocolError) return [this.fault(call.callId, call.contextId, FaultStatus.BAD_STUB_DATA)];
      this.options.onInternalError?.(error);
      return [this.fault(call.callId, call.contextId, FaultStatus.FAULT_UNSPEC, false)];
    }
    if (this.closed) return [];
    return encodeResponseFragments({ callId: call.callId, contextId: call.contextId, stub, maxFrag: this.maxXmitFrag });
  }
}
