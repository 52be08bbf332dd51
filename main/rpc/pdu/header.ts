// The vocabulary every connection-oriented DCE/RPC PDU shares, for both the client (main/rpc) and
// the lab's server (main/lab/rpc): the PDU types, pfc_flags, presentation-result and reject
// reasons, fault statuses, syntax identifiers, UUIDs in their wire form and the 16-byte common
// header (C706 12.6.1 and 12.6.3, MS-RPCE 2.2.2.1–2.2.2.5, 2.2.2.14).
import { RpcProtocolError } from '../errors.js';

/** PTYPE (C706 12.6.3.1 / 12.6.4). */
export const PType = {
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

/** pfc_flags (C706 12.6.3.1, MS-RPCE 2.2.2.3). */
export const PfcFlags = { FIRST_FRAG: 0x01, LAST_FRAG: 0x02, DID_NOT_EXECUTE: 0x20, OBJECT_UUID: 0x80 } as const;

/** p_cont_def_result_t (C706 12.6.3.1; NEGOTIATE_ACK from MS-RPCE 2.2.2.4). */
export const BindResult = { ACCEPTANCE: 0, USER_REJECTION: 1, PROVIDER_REJECTION: 2, NEGOTIATE_ACK: 3 } as const;
/** p_provider_reason_t (C706 12.6.3.1): why a presentation context was rejected. */
export const ProviderReason = { NOT_SPECIFIED: 0, ABSTRACT_SYNTAX_NOT_SUPPORTED: 1, TRANSFER_SYNTAXES_NOT_SUPPORTED: 2 } as const;
/** p_reject_reason_t of bind_nak (C706 12.6.3.1, MS-RPCE 2.2.2.5). */
export const NakReason = { NOT_SPECIFIED: 0, LOCAL_LIMIT_EXCEEDED: 2, PROTOCOL_VERSION_NOT_SUPPORTED: 4, AUTHENTICATION_TYPE_NOT_RECOGNIZED: 8 } as const;

/** Fault statuses (C706 appendix E, MS-RPCE 2.2.2.11, MS-ERREF). */
export const FaultStatus = {
  OP_RNG_ERROR: 0x1c010002,
  UNK_IF: 0x1c010003,
  PROTO_ERROR: 0x1c01000b,
  FAULT_UNSPEC: 0x1c000012,
  BAD_STUB_DATA: 0x000006f7,
} as const;

export const COMMON_HEADER_SIZE = 16;
/** The common header plus alloc_hint, p_cont_id and opnum (request) or cancel_count (response, fault). */
export const REQUEST_HEADER_SIZE = 24;
/** MS-RPCE 3.3.3.5.4: the smallest fragment every implementation must accept, and Windows' size over named pipes. */
export const MIN_FRAG = 4280;

export interface SyntaxId {
  readonly uuid: string;
  readonly major: number;
  readonly minor: number;
}

export const NDR20: SyntaxId = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 };
export const NDR64: SyntaxId = { uuid: '71710533-beba-4937-8319-b5dbef9ccc36', major: 1, minor: 0 };
/** An all-zero syntax: the transfer syntax of a rejected or negotiate_ack result. */
export const NULL_SYNTAX: SyntaxId = { uuid: '00000000-0000-0000-0000-000000000000', major: 0, minor: 0 };

/** BindTimeFeatureNegotiationBitmask bits (MS-RPCE 2.2.2.14). */
export const BindTimeFeature = { SECURITY_CONTEXT_MULTIPLEXING: 0x01, KEEP_CONNECTION_ON_ORPHAN: 0x02 } as const;

/**
 * The bind-time feature negotiation "transfer syntax" (MS-RPCE 3.3.1.5.3): UUID prefix
 * 6CB71C2C-9812-4540, the eight octets after it the bitmask, version 1.0.
 */
export function featureNegotiationSyntax(bits: number): SyntaxId {
  const bytes = Buffer.alloc(8);
  bytes[0] = bits & 0xff;
  bytes[1] = (bits >> 8) & 0xff;
  const h = bytes.toString('hex');
  return { uuid: `6cb71c2c-9812-4540-${h.slice(0, 4)}-${h.slice(4)}`, major: 1, minor: 0 };
}

/** The bitmask a feature-negotiation syntax carries (its first two octets), or null for any other syntax. */
export function featureNegotiationBits(s: SyntaxId): number | null {
  const m = /^6cb71c2c-9812-4540-([0-9a-f]{4})-[0-9a-f]{12}$/i.exec(s.uuid);
  if (!m) return null;
  const b = Buffer.from(m[1]!, 'hex');
  return b[0]! | (b[1]! << 8);
}

export const sameSyntax = (a: SyntaxId, b: SyntaxId) => a.uuid.toLowerCase() === b.uuid.toLowerCase() && a.major === b.major && a.minor === b.minor;

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

/** p_syntax_id_t (C706 12.6.3.1): the UUID, then the version as one little-endian u32 (major low). */
export function writeSyntax(into: Buffer, at: number, s: SyntaxId): void {
  encodeUuid(s.uuid).copy(into, at);
  into.writeUInt32LE((s.major | (s.minor << 16)) >>> 0, at + 16);
}

export function readSyntax(from: Buffer, at: number): SyntaxId {
  const version = from.readUInt32LE(at + 16);
  return { uuid: decodeUuid(from.subarray(at, at + 16)), major: version & 0xffff, minor: version >>> 16 };
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

export interface PduHeader {
  ptype: number;
  flags: number;
  fragLength: number;
  authLength: number;
  callId: number;
}

/**
 * The common header's fields as they are, judged by nothing (at least 16 bytes given): a server
 * answers even a broken header — a bind_nak or a fault needs the call id — so it reads before it
 * checks (`headerIsSound`).
 */
export function peekHeader(pdu: Buffer): PduHeader {
  return { ptype: pdu[2]!, flags: pdu[3]!, fragLength: pdu.readUInt16LE(8), authLength: pdu.readUInt16LE(10), callId: pdu.readUInt32LE(12) };
}

/** Version 5.0, little-endian data representation, a frag_length that holds the header (C706 12.6.3.1). */
export function headerIsSound(pdu: Buffer): boolean {
  return pdu[0] === 5 && pdu[1] === 0 && (pdu[4]! & 0xf0) === 0x10 && pdu.readUInt16LE(8) >= COMMON_HEADER_SIZE;
}

export function decodeHeader(pdu: Buffer): PduHeader {
  if (pdu.length < COMMON_HEADER_SIZE) throw new RpcProtocolError(`a ${pdu.length}-byte PDU is shorter than the 16-byte header`);
  if (pdu[0] !== 5 || pdu[1] !== 0) throw new RpcProtocolError(`RPC version ${pdu[0]}.${pdu[1]}, expected 5.0`);
  if (pdu[4] !== 0x10) throw new RpcProtocolError(`data representation 0x${pdu[4]!.toString(16)} is not little-endian ASCII`);
  const fragLength = pdu.readUInt16LE(8);
  if (fragLength < COMMON_HEADER_SIZE || fragLength > pdu.length) throw new RpcProtocolError(`frag_length ${fragLength} does not fit the ${pdu.length} bytes received`);
  return { ptype: pdu[2]!, flags: pdu[3]!, fragLength, authLength: pdu.readUInt16LE(10), callId: pdu.readUInt32LE(12) };
}
