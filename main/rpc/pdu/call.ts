// Call PDUs, both directions (C706 12.6.3.5 fragmentation, 12.6.4.7 fault, 12.6.4.9 request,
// 12.6.4.10 response; MS-RPCE 2.2.2.10–2.2.2.11): request and response stubs split at the
// negotiated fragment size, each fragment decoded back, and the fault a server sends instead of a
// response. Every decoder checks lengths before it reads and throws RpcProtocolError.
import { RpcProtocolError } from '../errors.js';
import { PType, PfcFlags, REQUEST_HEADER_SIZE, commonHeader, decodeHeader, decodeUuid, type PduHeader } from './header.js';

/**
 * A stub split into fragments of at most `maxFrag` bytes (C706 12.6.3.5): each fragment's stub but
 * the last a multiple of 8 so NDR alignment holds across them, alloc_hint counting what remains.
 * `opnum` present makes requests (24-byte header ends with p_cont_id, opnum); absent, responses
 * (p_cont_id, cancel_count 0, reserved).
 */
function fragments(ptype: number, opts: { callId: number; contextId: number; opnum?: number; stub: Buffer; maxFrag: number }): Buffer[] {
  const room = Math.floor((opts.maxFrag - REQUEST_HEADER_SIZE) / 8) * 8;
  if (room <= 0) throw new RangeError(`a fragment of ${opts.maxFrag} bytes cannot carry a stub`);
  const out: Buffer[] = [];
  for (let at = 0; at < opts.stub.length || out.length === 0; at += room) {
    const piece = opts.stub.subarray(at, at + room);
    const flags = (at === 0 ? PfcFlags.FIRST_FRAG : 0) | (at + room >= opts.stub.length ? PfcFlags.LAST_FRAG : 0);
    const pdu = Buffer.alloc(REQUEST_HEADER_SIZE + piece.length);
    commonHeader(ptype, flags, pdu.length, opts.callId).copy(pdu);
    pdu.writeUInt32LE(opts.stub.length - at, 16); // alloc_hint: what remains
    pdu.writeUInt16LE(opts.contextId, 20);
    if (opts.opnum !== undefined) pdu.writeUInt16LE(opts.opnum, 22);
    piece.copy(pdu, REQUEST_HEADER_SIZE);
    out.push(pdu);
  }
  return out;
}

/** Client → server: a request stub in fragments of at most max_xmit_frag. */
export function encodeRequestFragments(opts: { callId: number; contextId: number; opnum: number; stub: Buffer; maxFrag: number }): Buffer[] {
  return fragments(PType.REQUEST, opts);
}

/** Server → client: a response stub in fragments of at most the client's max_recv_frag. */
export function encodeResponseFragments(opts: { callId: number; contextId: number; stub: Buffer; maxFrag: number }): Buffer[] {
  return fragments(PType.RESPONSE, { callId: opts.callId, contextId: opts.contextId, stub: opts.stub, maxFrag: opts.maxFrag });
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
  if (header.ptype !== PType.REQUEST) throw new RpcProtocolError(`expected a request, got PDU type ${header.ptype}`);
  if (header.authLength !== 0) throw new RpcProtocolError('an authenticated request on an unauthenticated binding');
  let at = REQUEST_HEADER_SIZE;
  if (header.fragLength < at) throw new RpcProtocolError(`a ${header.fragLength}-byte request is shorter than its 24-byte header`);
  let objectUuid: string | null = null;
  if (header.flags & PfcFlags.OBJECT_UUID) {
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

/**
 * fault (C706 12.6.4.7, MS-RPCE 2.2.2.11): alloc_hint, p_cont_id, cancel_count, reserved, status,
 * 4 reserved bytes. `allocHint` is 0 unless the caller says (Windows sends a non-zero one).
 */
export function encodeFault(opts: { callId: number; contextId: number; status: number; didNotExecute: boolean; allocHint?: number }): Buffer {
  const pdu = Buffer.alloc(REQUEST_HEADER_SIZE + 8);
  const flags = PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG | (opts.didNotExecute ? PfcFlags.DID_NOT_EXECUTE : 0);
  commonHeader(PType.FAULT, flags, pdu.length, opts.callId).copy(pdu);
  pdu.writeUInt32LE((opts.allocHint ?? 0) >>> 0, 16);
  pdu.writeUInt16LE(opts.contextId, 20);
  pdu.writeUInt32LE(opts.status >>> 0, REQUEST_HEADER_SIZE);
  return pdu;
}

export type CallPdu =
  | { kind: 'response'; header: PduHeader; contextId: number; stub: Buffer }
  | { kind: 'fault'; header: PduHeader; contextId: number; status: number };

/** A response fragment's stub, or a fault's status (what the client reads back). */
export function decodeCallPdu(pdu: Buffer): CallPdu {
  const header = decodeHeader(pdu);
  if (header.authLength !== 0) throw new RpcProtocolError('an authenticated PDU on an unauthenticated binding');
  if (header.ptype === PType.RESPONSE) {
    if (header.fragLength < REQUEST_HEADER_SIZE) throw new RpcProtocolError('a response PDU shorter than its 24-byte header');
    return { kind: 'response', header, contextId: pdu.readUInt16LE(20), stub: Buffer.from(pdu.subarray(REQUEST_HEADER_SIZE, header.fragLength)) };
  }
  if (header.ptype === PType.FAULT) {
    if (header.fragLength < REQUEST_HEADER_SIZE + 4) throw new RpcProtocolError('a fault PDU without its status');
    return { kind: 'fault', header, contextId: pdu.readUInt16LE(20), status: pdu.readUInt32LE(REQUEST_HEADER_SIZE) };
  }
  throw new RpcProtocolError(`expected a response or fault, got PDU type ${header.ptype}`);
}
