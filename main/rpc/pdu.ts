// Connection-oriented DCE/RPC PDUs (C706 chapter 12, MS-RPCE 2.2.2): the common header, bind,
// bind_ack, bind_nak, request (fragmented at max_xmit_frag), response and fault. Pure codecs;
// every decoder checks lengths before it reads.
import { RpcProtocolError } from './errors.js';

export const PType = { REQUEST: 0, RESPONSE: 2, FAULT: 3, BIND: 11, BIND_ACK: 12, BIND_NAK: 13 } as const;
export const PfcFlags = { FIRST_FRAG: 0x01, LAST_FRAG: 0x02 } as const;
export const COMMON_HEADER_SIZE = 16;
export const REQUEST_HEADER_SIZE = 24;
/** MS-RPCE 3.3.3.5.4: the smallest fragment every implementation must accept. */
export const MIN_FRAG = 4280;

export interface SyntaxId {
  readonly uuid: string;
  readonly major: number;
  readonly minor: number;
}

export const NDR20: SyntaxId = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 };

/** A GUID in its mixed-endian wire form (first three fields little-endian). */
export function encodeUuid(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a UUID: ${uuid}`);
  const b = Buffer.from(hex, 'hex');
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}

export function decodeUuid(b: Buffer): string {
  const c = Buffer.from(b);
  c.subarray(0, 4).reverse();
  c.subarray(4, 6).reverse();
  c.subarray(6, 8).reverse();
  const h = c.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The 16-byte common header of every connection-oriented PDU (MS-RPCE 2.2.2.1), auth length 0. */
export function commonHeader(ptype: number, flags: number, fragLength: number, callId: number): Buffer {
  const h = Buffer.alloc(COMMON_HEADER_SIZE);
  h[0] = 5;
  h[1] = 0;
  h[2] = ptype;
  h[3] = flags;
  h.writeUInt32BE(0x10000000, 4); // packed_drep: little-endian, ASCII, IEEE
  h.writeUInt16LE(fragLength, 8);
  h.writeUInt16LE(0, 10);
  h.writeUInt32LE(callId >>> 0, 12);
  return h;
}

export function encodeBind(opts: { callId: number; maxXmitFrag: number; maxRecvFrag: number; contextId: number; abstract: SyntaxId; transfer: SyntaxId }): Buffer {
  const body = Buffer.alloc(12 + 4 + 20 + 20);
  body.writeUInt16LE(opts.maxXmitFrag, 0);
  body.writeUInt16LE(opts.maxRecvFrag, 2);
  body.writeUInt32LE(0, 4); // assoc_group_id: a new association
  body[8] = 1; // n_context_elem
  body.writeUInt16LE(opts.contextId, 12);
  body[14] = 1; // n_transfer_syn
  encodeUuid(opts.abstract.uuid).copy(body, 16);
  body.writeUInt16LE(opts.abstract.major, 32);
  body.writeUInt16LE(opts.abstract.minor, 34);
  encodeUuid(opts.transfer.uuid).copy(body, 36);
  body.writeUInt32LE(opts.transfer.major | (opts.transfer.minor << 16), 52);
  return Buffer.concat([commonHeader(PType.BIND, PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG, COMMON_HEADER_SIZE + body.length, opts.callId), body]);
}

export interface PduHeader {
  ptype: number;
  flags: number;
  fragLength: number;
  authLength: number;
  callId: number;
}

export function decodeHeader(pdu: Buffer): PduHeader {
  if (pdu.length < COMMON_HEADER_SIZE) throw new RpcProtocolError(`a ${pdu.length}-byte PDU is shorter than the 16-byte header`);
  if (pdu[0] !== 5 || pdu[1] !== 0) throw new RpcProtocolError(`RPC version ${pdu[0]}.${pdu[1]}, expected 5.0`);
  if (pdu[4] !== 0x10) throw new RpcProtocolError(`data representation 0x${pdu[4]!.toString(16)} is not little-endian ASCII`);
  const fragLength = pdu.readUInt16LE(8);
  if (fragLength < COMMON_HEADER_SIZE || fragLength > pdu.length) throw new RpcProtocolError(`frag_length ${fragLength} does not fit the ${pdu.length} bytes received`);
  return { ptype: pdu[2]!, flags: pdu[3]!, fragLength, authLength: pdu.readUInt16LE(10), callId: pdu.readUInt32LE(12) };
}

export interface BindAck {
  maxXmitFrag: number;
  maxRecvFrag: number;
  secondaryAddress: string;
  results: { result: number; reason: number; transfer: SyntaxId }[];
}

export function decodeBindAck(pdu: Buffer): BindAck {
  const h = decodeHeader(pdu);
  if (h.ptype !== PType.BIND_ACK) throw new RpcProtocolError(`expected bind_ack, got PDU type ${h.ptype}`);
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
    const version = pdu.readUInt32LE(at + 20);
    results.push({
      result: pdu.readUInt16LE(at),
      reason: pdu.readUInt16LE(at + 2),
      transfer: { uuid: decodeUuid(pdu.subarray(at + 4, at + 20)), major: version & 0xffff, minor: version >>> 16 },
    });
    at += 24;
  }
  if (maxXmitFrag < COMMON_HEADER_SIZE + 8 || maxRecvFrag < COMMON_HEADER_SIZE + 8) {
    throw new RpcProtocolError(`bind_ack negotiated fragment sizes ${maxXmitFrag}/${maxRecvFrag}, too small to carry a request`);
  }
  return { maxXmitFrag, maxRecvFrag, secondaryAddress, results };
}

/** A request's stub split into fragments of at most `maxFrag` bytes each (C706 12.6.3.5). */
export function encodeRequestFragments(opts: { callId: number; contextId: number; opnum: number; stub: Buffer; maxFrag: number }): Buffer[] {
  // Stub bytes per fragment, kept a multiple of 8 so NDR alignment holds across fragments.
  const room = Math.floor((opts.maxFrag - REQUEST_HEADER_SIZE) / 8) * 8;
  if (room <= 0) throw new RangeError(`max_xmit_frag ${opts.maxFrag} cannot carry a request`);
  const fragments: Buffer[] = [];
  for (let at = 0; at < opts.stub.length || fragments.length === 0; at += room) {
    const piece = opts.stub.subarray(at, at + room);
    const first = at === 0;
    const last = at + room >= opts.stub.length;
    const flags = (first ? PfcFlags.FIRST_FRAG : 0) | (last ? PfcFlags.LAST_FRAG : 0);
    const body = Buffer.alloc(8);
    body.writeUInt32LE(opts.stub.length - at, 0); // alloc_hint: what remains
    body.writeUInt16LE(opts.contextId, 4);
    body.writeUInt16LE(opts.opnum, 6);
    fragments.push(Buffer.concat([commonHeader(PType.REQUEST, flags, REQUEST_HEADER_SIZE + piece.length, opts.callId), body, piece]));
  }
  return fragments;
}

export type CallPdu =
  | { kind: 'response'; header: PduHeader; stub: Buffer }
  | { kind: 'fault'; header: PduHeader; status: number };

/** A response or fault PDU (the stub of a response fragment, or a fault's status). */
export function decodeCallPdu(pdu: Buffer): CallPdu {
  const header = decodeHeader(pdu);
  if (header.authLength !== 0) throw new RpcProtocolError('an authenticated PDU on an unauthenticated binding');
  if (header.ptype === PType.RESPONSE) {
    if (header.fragLength < REQUEST_HEADER_SIZE) throw new RpcProtocolError('a response PDU shorter than its 24-byte header');
    return { kind: 'response', header, stub: Buffer.from(pdu.subarray(REQUEST_HEADER_SIZE, header.fragLength)) };
  }
  if (header.ptype === PType.FAULT) {
    if (header.fragLength < REQUEST_HEADER_SIZE + 4) throw new RpcProtocolError('a fault PDU without its status');
    return { kind: 'fault', header, status: pdu.readUInt32LE(REQUEST_HEADER_SIZE) };
  }
  throw new RpcProtocolError(`expected a response or fault, got PDU type ${header.ptype}`);
}
