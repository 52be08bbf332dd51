// Association set-up PDUs, both directions (C706 12.6.4.1–12.6.4.5, MS-RPCE 2.2.2.6–2.2.2.9):
// bind / alter_context (client → server), bind_ack / alter_context_resp and bind_nak
// (server → client). Every decoder checks lengths before it reads and throws RpcProtocolError.
import { RpcProtocolError } from '../errors.js';
import { COMMON_HEADER_SIZE, PType, PfcFlags, commonHeader, decodeHeader, readSyntax, writeSyntax, type PduHeader, type SyntaxId } from './header.js';

export interface PresentationContext {
  readonly contextId: number;
  readonly abstract: SyntaxId;
  readonly transfers: readonly SyntaxId[];
}

/** One p_result_t of a bind_ack: for NEGOTIATE_ACK the reason carries the feature bits (MS-RPCE 3.3.1.5.3). */
export interface ContextResult {
  readonly result: number;
  readonly reason: number;
  /** The transfer syntax accepted; null (all zeros on the wire) when rejected or negotiate_ack. */
  readonly transfer: SyntaxId | null;
}

export interface BindPdu {
  readonly header: PduHeader;
  readonly maxXmitFrag: number;
  readonly maxRecvFrag: number;
  readonly assocGroupId: number;
  readonly contexts: readonly PresentationContext[];
}

const MAX_CONTEXTS = 32;
const MAX_TRANSFER_SYNTAXES = 16;

type BindOptions = { callId: number; maxXmitFrag: number; maxRecvFrag: number; assocGroupId?: number; ptype?: number } & (
  | { contexts: readonly PresentationContext[] }
  | { contextId: number; abstract: SyntaxId; transfer: SyntaxId }
);

/** bind (C706 12.6.4.3) or alter_context (12.6.4.1): one or several presentation contexts. */
export function encodeBind(opts: BindOptions): Buffer {
  const contexts = 'contexts' in opts ? opts.contexts : [{ contextId: opts.contextId, abstract: opts.abstract, transfers: [opts.transfer] }];
  const size = COMMON_HEADER_SIZE + 12 + contexts.reduce((n, c) => n + 24 + 20 * c.transfers.length, 0);
  const pdu = Buffer.alloc(size);
  commonHeader(opts.ptype ?? PType.BIND, PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG, size, opts.callId).copy(pdu);
  pdu.writeUInt16LE(opts.maxXmitFrag, 16);
  pdu.writeUInt16LE(opts.maxRecvFrag, 18);
  pdu.writeUInt32LE((opts.assocGroupId ?? 0) >>> 0, 20); // 0: a new association group
  pdu[24] = contexts.length; // n_context_elem, then 3 reserved bytes
  let at = 28;
  for (const ctx of contexts) {
    pdu.writeUInt16LE(ctx.contextId, at);
    pdu[at + 2] = ctx.transfers.length;
    writeSyntax(pdu, at + 4, ctx.abstract);
    at += 24;
    for (const t of ctx.transfers) {
      writeSyntax(pdu, at, t);
      at += 20;
    }
  }
  return pdu;
}

/** bind or alter_context (C706 12.6.4.3 / 12.6.4.1): the same body. */
export function decodeBind(pdu: Buffer): BindPdu {
  const header = decodeHeader(pdu);
  if (header.ptype !== PType.BIND && header.ptype !== PType.ALTER_CONTEXT) throw new RpcProtocolError(`expected bind or alter_context, got PDU type ${header.ptype}`);
  const end = header.fragLength - header.authLength - (header.authLength ? 8 : 0);
  const need = (at: number, n: number, what: string) => {
    if (at + n > end) throw new RpcProtocolError(`bind: ${what} runs past the ${end}-byte body`);
  };
  need(COMMON_HEADER_SIZE, 12, 'fixed fields');
  const count = pdu[24]!;
  if (count > MAX_CONTEXTS) throw new RpcProtocolError(`bind offers ${count} presentation contexts, more than ${MAX_CONTEXTS}`);
  const contexts: PresentationContext[] = [];
  let at = 28;
  for (let i = 0; i < count; i++) {
    need(at, 24, `context ${i}`);
    const contextId = pdu.readUInt16LE(at);
    const nTransfer = pdu[at + 2]!;
    if (nTransfer < 1 || nTransfer > MAX_TRANSFER_SYNTAXES) throw new RpcProtocolError(`bind context ${contextId} offers ${nTransfer} transfer syntaxes`);
    const abstract = readSyntax(pdu, at + 4);
    at += 24;
    need(at, 20 * nTransfer, `context ${contextId} transfer syntaxes`);
    const transfers: SyntaxId[] = [];
    for (let t = 0; t < nTransfer; t++, at += 20) transfers.push(readSyntax(pdu, at));
    contexts.push({ contextId, abstract, transfers });
  }
  return { header, maxXmitFrag: pdu.readUInt16LE(16), maxRecvFrag: pdu.readUInt16LE(18), assocGroupId: pdu.readUInt32LE(20), contexts };
}

export interface BindAck {
  ptype: number;
  callId: number;
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
  secondaryAddress: string;
  results: { result: number; reason: number; transfer: SyntaxId }[];
}

/** bind_ack (C706 12.6.4.4) or alter_context_resp (12.6.4.2): one result per presented context, in order. */
export function encodeBindAck(opts: {
  ptype: typeof PType.BIND_ACK | typeof PType.ALTER_CONTEXT_RESP;
  callId: number;
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
  /** port_any_t: the string with its NUL; '' is sent as length 0 (alter_context_resp). */
  secondaryAddress: string;
  results: readonly ContextResult[];
}): Buffer {
  const address = opts.secondaryAddress === '' ? Buffer.alloc(0) : Buffer.from(`${opts.secondaryAddress}\0`, 'latin1');
  let resultsAt = 26 + address.length;
  resultsAt += (4 - (resultsAt % 4)) % 4;
  const pdu = Buffer.alloc(resultsAt + 4 + 24 * opts.results.length);
  commonHeader(opts.ptype, PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG, pdu.length, opts.callId).copy(pdu);
  pdu.writeUInt16LE(opts.maxXmitFrag, 16);
  pdu.writeUInt16LE(opts.maxRecvFrag, 18);
  pdu.writeUInt32LE(opts.assocGroupId >>> 0, 20);
  pdu.writeUInt16LE(address.length, 24);
  address.copy(pdu, 26);
  pdu[resultsAt] = opts.results.length;
  opts.results.forEach((r, i) => {
    const at = resultsAt + 4 + 24 * i;
    pdu.writeUInt16LE(r.result, at);
    pdu.writeUInt16LE(r.reason, at + 2);
    if (r.transfer) writeSyntax(pdu, at + 4, r.transfer);
  });
  return pdu;
}

export function decodeBindAck(pdu: Buffer): BindAck {
  const h = decodeHeader(pdu);
  if (h.ptype !== PType.BIND_ACK && h.ptype !== PType.ALTER_CONTEXT_RESP) throw new RpcProtocolError(`expected bind_ack, got PDU type ${h.ptype}`);
  const end = h.fragLength;
  const need = (at: number, n: number, what: string) => {
    if (at + n > end) throw new RpcProtocolError(`bind_ack: ${what} runs past frag_length ${end}`);
  };
  need(16, 10, 'fixed fields');
  const maxXmitFrag = pdu.readUInt16LE(16);
  const maxRecvFrag = pdu.readUInt16LE(18);
  const secLength = pdu.readUInt16LE(24);
  need(26, secLength, 'secondary address');
  const secondaryAddress = pdu.subarray(26, 26 + secLength).toString('latin1').replace(/\0+$/, '');
  let at = 26 + secLength;
  at += (4 - (at % 4)) % 4;
  need(at, 4, 'result count');
  const count = pdu[at]!;
  at += 4;
  const results: BindAck['results'] = [];
  for (let i = 0; i < count; i++) {
    need(at, 24, `result ${i}`);
    results.push({ result: pdu.readUInt16LE(at), reason: pdu.readUInt16LE(at + 2), transfer: readSyntax(pdu, at + 4) });
    at += 24;
  }
  if (maxXmitFrag < COMMON_HEADER_SIZE + 8 || maxRecvFrag < COMMON_HEADER_SIZE + 8) {
    throw new RpcProtocolError(`bind_ack negotiated fragment sizes ${maxXmitFrag}/${maxRecvFrag}, too small to carry a request`);
  }
  return { ptype: h.ptype, callId: h.callId, maxXmitFrag, maxRecvFrag, assocGroupId: pdu.readUInt32LE(20), secondaryAddress, results };
}

/** bind_nak (C706 12.6.4.5): the reason and the one protocol version served, 5.0. */
export function encodeBindNak(callId: number, reason: number): Buffer {
  const pdu = Buffer.alloc(COMMON_HEADER_SIZE + 6);
  commonHeader(PType.BIND_NAK, PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG, pdu.length, callId).copy(pdu);
  pdu.writeUInt16LE(reason, 16);
  pdu[18] = 1; // n_protocols
  pdu[19] = 5; // rpc_vers
  pdu[20] = 0; // rpc_vers_minor
  return pdu;
}

/** bind_nak's reject reason, or -1 when the PDU is too short to carry one. */
export function decodeBindNak(pdu: Buffer): { callId: number; reason: number } {
  const h = decodeHeader(pdu);
  if (h.ptype !== PType.BIND_NAK) throw new RpcProtocolError(`expected bind_nak, got PDU type ${h.ptype}`);
  return { callId: h.callId, reason: h.fragLength >= 18 ? pdu.readUInt16LE(16) : -1 };
}
