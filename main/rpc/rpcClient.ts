// A connection-oriented DCE/RPC client over a named pipe (MS-RPCE 2.1.1.2 ncacn_np): one bind,
// then calls with request fragmentation at max_xmit_frag and response reassembly until
// PFC_LAST_FRAG, faults mapped to typed errors. No RPC-level authentication: the SMB session
// carries the identity (docs/PROTOCOLS.md §5).
import { RpcBindError, RpcFaultError, RpcProtocolError } from './errors.js';
import {
  BindResult, BindTimeFeature, MIN_FRAG, NDR20, PfcFlags, PType, decodeBindAck, decodeBindNak, decodeCallPdu, decodeHeader, encodeBind, encodeRequestFragments,
  featureNegotiationSyntax, sameSyntax, type PresentationContext, type SyntaxId,
} from './pdu.js';

/** What the client needs from a pipe (SmbPipe provides it). */
export interface RpcPipe {
  transceive(data: Buffer, maxResponse?: number): Promise<Buffer>;
  write(data: Buffer): Promise<void>;
  read(maxResponse?: number): Promise<Buffer>;
}

/** A response larger than this is refused: no SCMR answer comes near it. */
const MAX_RESPONSE_STUB = 16 * 1024 * 1024;

export class DceRpcClient {
  private nextCallId = 2;

  private constructor(
    private readonly pipe: RpcPipe,
    readonly maxXmitFrag: number,
    readonly maxRecvFrag: number,
    private readonly contextId: number,
  ) {}

  /**
   * Binds `abstract` with NDR 2.0 as context 0. With `offerFeatureNegotiation` it also presents the
   * bind-time feature negotiation context 1 as Windows clients do (MS-RPCE 3.3.1.5.3); either way
   * the bind_ack may list one result per context, and the call context is the one accepted with
   * NDR 2.0 — not blindly the first result (C706 12.6.4.4: results in the order presented).
   */
  static async bind(pipe: RpcPipe, abstract: SyntaxId, options: { maxFrag?: number; offerFeatureNegotiation?: boolean } = {}): Promise<DceRpcClient> {
    const maxFrag = options.maxFrag ?? MIN_FRAG;
    const contexts: PresentationContext[] = [{ contextId: 0, abstract, transfers: [NDR20] }];
    if (options.offerFeatureNegotiation) {
      contexts.push({ contextId: 1, abstract, transfers: [featureNegotiationSyntax(BindTimeFeature.SECURITY_CONTEXT_MULTIPLEXING | BindTimeFeature.KEEP_CONNECTION_ON_ORPHAN)] });
    }
    const reply = await pipe.transceive(encodeBind({ callId: 1, maxXmitFrag: maxFrag, maxRecvFrag: maxFrag, contexts }), maxFrag);
    const header = decodeHeader(reply);
    if (header.ptype === PType.BIND_NAK) {
      const { reason } = decodeBindNak(reply);
      throw new RpcBindError(`The computer refused the RPC bind to ${abstract.uuid} v${abstract.major}.${abstract.minor} (bind_nak, reason ${reason}).`);
    }
    if (header.ptype !== PType.BIND_ACK) throw new RpcProtocolError(`expected bind_ack, got PDU type ${header.ptype}`);
    const ack = decodeBindAck(reply);
    if (header.callId !== 1) throw new RpcProtocolError(`bind_ack for call ${header.callId}, expected 1`);
    if (ack.results.length > contexts.length) throw new RpcProtocolError(`bind_ack lists ${ack.results.length} results for ${contexts.length} contexts`);
    // Context i offered only NDR 2.0, so its acceptance is NDR 2.0.
    const at = ack.results.findIndex((r, i) => r.result === BindResult.ACCEPTANCE && contexts[i]!.transfers.some((t) => sameSyntax(t, NDR20)));
    if (at < 0) {
      const first = ack.results[0];
      throw new RpcBindError(`The computer did not accept the ${abstract.uuid} interface with NDR 2.0 (result ${first?.result ?? 'none'}, reason ${first?.reason ?? '-'}).`);
    }
    // We send no larger than the server receives, and it promised to send no larger than we asked.
    return new DceRpcClient(pipe, Math.min(maxFrag, ack.maxRecvFrag), maxFrag, contexts[at]!.contextId);
  }

  /** One call: the request stub out, the response stub back (or a typed fault). */
  async call(opnum: number, stub: Buffer, name: string): Promise<Buffer> {
    const callId = this.nextCallId++;
    const fragments = encodeRequestFragments({ callId, contextId: this.contextId, opnum, stub, maxFrag: this.maxXmitFrag });
    for (const fragment of fragments.slice(0, -1)) await this.pipe.write(fragment);
    let received = await this.pipe.transceive(fragments[fragments.length - 1]!, this.maxRecvFrag);
    const stubs: Buffer[] = [];
    let total = 0;
    for (let first = true; ; first = false) {
      if (received.length === 0) received = await this.pipe.read(this.maxRecvFrag);
      const pdu = decodeCallPdu(received);
      if (pdu.header.callId !== callId) throw new RpcProtocolError(`${name}: an answer for call ${pdu.header.callId}, expected ${callId}`);
      if (pdu.kind === 'fault') throw new RpcFaultError(pdu.status, name);
      if (first && !(pdu.header.flags & PfcFlags.FIRST_FRAG)) throw new RpcProtocolError(`${name}: the first response fragment lacks PFC_FIRST_FRAG`);
      total += pdu.stub.length;
      if (total > MAX_RESPONSE_STUB) throw new RpcProtocolError(`${name}: the response exceeds ${MAX_RESPONSE_STUB} bytes`);
      stubs.push(pdu.stub);
      received = received.subarray(pdu.header.fragLength);
      if (pdu.header.flags & PfcFlags.LAST_FRAG) {
        if (received.length !== 0) throw new RpcProtocolError(`${name}: ${received.length} bytes after the last fragment`);
        return Buffer.concat(stubs);
      }
    }
  }
}
