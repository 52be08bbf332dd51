// The server side of connection-oriented DCE/RPC (C706 chapter 12, MS-RPCE 2.2.2): decoders for
// what a client sends (bind, alter_context, request) and encoders for what a server answers
// (bind_ack, alter_context_resp, bind_nak, response fragments, fault). Pure codecs next to the
// client's in main/rpc/pdu.ts, sharing its header and UUID helpers; every decoder checks lengths
// before it reads and throws RpcProtocolError.
import { RpcProtocolError } from '../../rpc/errors.js';
import { COMMON_HEADER_SIZE, PfcFlags, commonHeader, REQUEST_HEADER_SIZE, decodeHeader, decodeUuid, encodeUuid, type PduHeader, type SyntaxId } from '../../rpc/pdu.js';

export const ServerPType = {
  REQUEST: 0,
  RESPONSE: 2,
  FAULT: 3,
  BIND: 11,
  BIND_ACK: 12,
  BIND_NAK: 13,
  ALTER_CONTEXT: 14,
  ALTER_CONTEXT_RESP: 15,
  AUTH3: 16,
  CO_CANCEL: 18,
  ORPHANED: 19,
} as const;

export const PFC_DID_NOT_EXECUTE = 0x20;
export const PFC_OBJECT_UUID = 0x80;

/** p_cont_def_result_t and p_provider_reason_t (C706 12.6.3.1). */
export const BindResult = { ACCEPTANCE: 0, USER_REJECTION: 1, PROVIDER_REJECTION: 2, NEGOTIATE_ACK: 3 } as const;
export const ProviderReason = { NOT_SPECIFIED: 0, ABSTRACT_SYNTAX_NOT_SUPPORTED: 1, TRANSFER_SYNTAXES_NOT_SUPPORTED: 2 } as const;
/** p_reject_reason_t of bind_nak (C706 12.6.3.1, MS-RPCE 2.2.2.5). */
export const NakReason = { NOT_SPECIFIED: 0, LOCAL_LIMIT_EXCEEDED: 2, PROTOCOL_VERSION_NOT_SUPPORTED: 4, AUTHENTICATION_TYPE_NOT_RECOGNIZED: 8 } as const;

/** Fault statuses a server sends (C706 appendix E, MS-RPCE 2.2.2.11, MS-ERREF). */
export const FaultStatus = {
  OP_RNG_ERROR: 0x1c010002,
  UNK_IF: 0x1c010003,
  PROTO_ERROR: 0x1c01000b,
  FAULT_UNSPEC: 0x1c000012,
  BAD_STUB_DATA: 0x000006f7,
} as const;

export interface PresentationContext {
  readonly contextId: number;
  readonly abstract: SyntaxId;
  readonly transfers: readonly SyntaxId[];
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

function syntaxAt(pdu: Buffer, at: number): SyntaxId {
  const version = pdu.readUInt32LE(at + 16);
  return { uuid: decodeUuid(pdu.subarray(at, at + 16)), major: version & 0xffff, minor: version >>> 16 };
}

/** bind or alter_context (C706 12.6.4.3 / 12.6.4.1): the same body. */
export function decodeBind(pdu: Buffer): BindPdu {
  const header = decodeHeader(pdu);
  if (header.ptype !== ServerPType.BIND && header.ptype !== ServerPType.ALTER_CONTEXT) throw new RpcProtocolError(`expected bind or alter_context, got PDU type ${header.ptype}`);
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
    const abstract = syntaxAt(pdu, at + 4);
    at += 24;
    need(at, 20 * nTransfer, `context ${contextId} transfer syntaxes`);
    const transfers: SyntaxId[] = [];
    for (let t = 0; t < nTransfer; t++, at += 20) transfers.push(syntaxAt(pdu, at));
    contexts.push({ contextId, abstract, transfers });
  }
  return { header, maxXmitFrag: pdu.readUInt16LE(16), maxRecvFrag: pdu.readUInt16LE(18), assocGroupId: pdu.readUInt32LE(20), contexts };
}


export interface ContextResult {
  readonly result: number;
  readonly reason: number;
  /** The transfer syntax accepted; all zeros when rejected. */
  readonly transfer: SyntaxId | null;
}

/** bind_ack (C706 12.6.4.4) or alter_context_resp (12.6.4.2): the second has an empty secondary address. */
export function encodeBindAck(opts: {
  ptype: typeof ServerPType.BIND_ACK | typeof ServerPType.ALTER_CONTEXT_RESP;
  callId: number;
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
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
    if (r.transfer) {
      encodeUuid(r.transfer.uuid).copy(pdu, at + 4);
      pdu.writeUInt32LE((r.transfer.major | (r.transfer.minor << 16)) >>> 0, at + 20);
    }
  });
  return pdu;
}

/** bind_nak (C706 12.6.4.5): the reason and the one protocol version served, 5.0. */
export function encodeBindNak(callId: number, reason: number): Buffer {
  const pdu = Buffer.alloc(COMMON_HEADER_SIZE + 6);
  commonHeader(ServerPType.BIND_NAK, PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG, pdu.length, callId).copy(pdu);
  pdu.writeUInt16LE(reason, 16);
  pdu[18] = 1; // n_protocols
  pdu[19] = 5; // rpc_vers
  pdu[20] = 0; // rpc_vers_minor
  return pdu;
}

export interface RequestPdu {
  readonly header: PduHeader;
  readonly allocHint: number;
  readonly contextId: number;
  readonly opnum: number;
  readonly objectUuid: string | null;
  readonly stub: Buffer;
}

/** One request fragment (C706 12.6.4.9): the stub follows the object UUID when PFC_OBJECT_UUID is set. */
export function decodeRequest(pdu: Buffer): RequestPdu {
  const header = decodeHeader(pdu);
  if (header.ptype !== ServerPType.REQUEST) throw new RpcProtocolError(`expected a request, got PDU type ${header.ptype}`);
  if (header.authLength !== 0) throw new RpcProtocolError('an authenticated request on an unauthenticated binding');
  let at = REQUEST_HEADER_SIZE;
  if (header.fragLength < at) throw new RpcProtocolError(`a ${header.fragLength}-byte request is shorter than its 24-byte header`);
  let objectUuid: string | null = null;
  if (header.flags & PFC_OBJECT_UUID) {
    if (header.fragLength < at + 16) throw new RpcProtocolError('a request flagged PFC_OBJECT_UUID without its object UUID');
    objectUuid = decodeUuid(pdu.subarray(at, at + 16));
    at += 16;
  }
  return {
    header,
    allocHint: pdu.readUInt32LE(16),
    contextId: pdu.readUInt16LE(20),
    opnum: pdu.readUInt16LE(22),
    objectUuid,
    stub: Buffer.from(pdu.subarray(at, header.fragLength)),
  };
}

/** A response stub split at `maxFrag` (C706 12.6.3.5); each fragment's stub but the last a multiple of 8. */
export function encodeResponseFragments(opts: { callId: number; contextId: number; stub: Buffer; maxFrag: number }): Buffer[] {
  const room = Math.floor((opts.maxFrag - REQUEST_HEADER_SIZE) / 8) * 8;
  if (room <= 0) throw new RangeError(`max_xmit_frag ${opts.maxFrag} cannot carry a response`);
  const fragments: Buffer[] = [];
  for (let at = 0; at < opts.stub.length || fragments.length === 0; at += room) {
    const piece = opts.stub.subarray(at, at + room);
    const flags = (at === 0 ? PfcFlags.FIRST_FRAG : 0) | (at + room >= opts.stub.length ? PfcFlags.LAST_FRAG : 0);
    const pdu = Buffer.alloc(REQUEST_HEADER_SIZE + piece.length);
    commonHeader(ServerPType.RESPONSE, flags, pdu.length, opts.callId).copy(pdu);
    pdu.writeUInt32LE(opts.stub.length - at, 16); // alloc_hint: what remains
    pdu.writeUInt16LE(opts.contextId, 20);
    piece.copy(pdu, REQUEST_HEADER_SIZE);
    fragments.push(pdu);
  }
  return fragments;
}

/** fault (C706 12.6.4.7): alloc_hint, p_cont_id, cancel_count, reserved, status, 4 reserved bytes. */
export function encodeFault(opts: { callId: number; contextId: number; status: number; didNotExecute: boolean }): Buffer {
  const pdu = Buffer.alloc(REQUEST_HEADER_SIZE + 8);
  commonHeader(ServerPType.FAULT, PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG | (opts.didNotExecute ? PFC_DID_NOT_EXECUTE : 0), pdu.length, opts.callId).copy(pdu);
  pdu.writeUInt32LE(0, 16); // alloc_hint: no stub
  pdu.writeUInt16LE(opts.contextId, 20);
  pdu.writeUInt32LE(opts.status >>> 0, REQUEST_HEADER_SIZE);
  return pdu;
}
