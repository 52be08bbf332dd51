// NEGOEX messages (MS-NEGOEX 2.2), enough to write and read what a Windows server puts in the
// mechToken of its NegTokenInit2: a NEGO_MESSAGE (2.2.6.3) and EXCHANGE_MESSAGEs (2.2.6.4), each a
// MESSAGE_HEADER (2.2.6.2) with the "NEGOEXTS" signature. Little-endian throughout. The console
// never negotiates with NEGOEX; the lab sends it, and tests read it back.

/** A NEGOEX token that cannot be read as MS-NEGOEX 2.2 describes. */
export class NegoexFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NegoexFormatError';
  }
}

/** MS-NEGOEX 2.2.3 MESSAGE_SIGNATURE: 0x535458454f47454e, "NEGOEXTS" on the wire. */
export const NEGOEX_SIGNATURE = Buffer.from('NEGOEXTS', 'latin1');

/** MS-NEGOEX 2.2.6.1 MESSAGE_TYPE. */
export const NegoexMessageType = {
  INITIATOR_NEGO: 0,
  ACCEPTOR_NEGO: 1,
  INITIATOR_META_DATA: 2,
  ACCEPTOR_META_DATA: 3,
  CHALLENGE: 4,
  AP_REQUEST: 5,
  VERIFY: 6,
  ALERT: 7,
} as const;

const HEADER_BYTES = 40;
const NEGO_HEADER_BYTES = 96;
const EXCHANGE_HEADER_BYTES = 64;
const GUID_BYTES = 16;

interface Header {
  type: number;
  sequenceNum: number;
  /** CONVERSATION_ID (2.2.2): 16 random bytes chosen by the initiator, the same in every message. */
  conversationId: Buffer;
}

/** NEGO_MESSAGE (2.2.6.3). Extensions are not written; read ones are listed by type. */
export interface NegoexNego extends Header {
  kind: 'nego';
  random: Buffer;
  protocolVersion: bigint;
  /** AUTH_SCHEME GUIDs in wire order (MS-DTYP 2.3.4.2), most preferred first. */
  authSchemes: Buffer[];
  extensionTypes: number[];
}

/** EXCHANGE_MESSAGE (2.2.6.4): meta data, CHALLENGE or AP_REQUEST for one auth scheme. */
export interface NegoexExchange extends Header {
  kind: 'exchange';
  authScheme: Buffer;
  exchange: Buffer;
}

export type NegoexMessage = NegoexNego | NegoexExchange | (Header & { kind: 'other'; message: Buffer });

function header(h: Header, headerBytes: number, messageBytes: number): Buffer {
  if (h.conversationId.length !== GUID_BYTES) throw new RangeError('a NEGOEX ConversationId is 16 bytes');
  const out = Buffer.alloc(headerBytes);
  NEGOEX_SIGNATURE.copy(out, 0);
  out.writeUInt32LE(h.type, 8);
  out.writeUInt32LE(h.sequenceNum, 12);
  out.writeUInt32LE(headerBytes, 16);
  out.writeUInt32LE(messageBytes, 20);
  h.conversationId.copy(out, 24);
  return out;
}

/** NEGO_MESSAGE: header, Random, ProtocolVersion, AUTH_SCHEME_VECTOR (2.2.5.2.2) → the GUIDs after the header, an empty EXTENSION_VECTOR. */
export function encodeNegoexNego(m: Omit<NegoexNego, 'kind' | 'extensionTypes'>): Buffer {
  if (m.random.length !== 32) throw new RangeError('NEGO_MESSAGE Random is 32 bytes');
  const schemes = Buffer.concat(m.authSchemes);
  const out = header(m, NEGO_HEADER_BYTES, NEGO_HEADER_BYTES + schemes.length);
  m.random.copy(out, 40);
  out.writeBigUInt64LE(m.protocolVersion, 72);
  out.writeUInt32LE(m.authSchemes.length > 0 ? NEGO_HEADER_BYTES : 0, 80);
  out.writeUInt16LE(m.authSchemes.length, 84);
  // EXTENSION_VECTOR at 88: ArrayOffset 0, Count 0, as Windows writes an empty one.
  return Buffer.concat([out, schemes]);
}

/** EXCHANGE_MESSAGE: header, AuthScheme, BYTE_VECTOR (2.2.5.2.3) → the exchange bytes after the header. */
export function encodeNegoexExchange(m: Omit<NegoexExchange, 'kind'>): Buffer {
  if (m.authScheme.length !== GUID_BYTES) throw new RangeError('an AUTH_SCHEME is a 16-byte GUID');
  const out = header(m, EXCHANGE_HEADER_BYTES, EXCHANGE_HEADER_BYTES + m.exchange.length);
  m.authScheme.copy(out, 40);
  out.writeUInt32LE(EXCHANGE_HEADER_BYTES, 56);
  out.writeUInt32LE(m.exchange.length, 60);
  return Buffer.concat([out, m.exchange]);
}

/** `count` elements of `size` bytes at `offset` inside `message`, bounds-checked. */
function vector(message: Buffer, offset: number, count: number, size: number, what: string): Buffer {
  if (offset > message.length || count * size > message.length - offset) throw new NegoexFormatError(`${what} lies outside the ${message.length}-byte message`);
  return message.subarray(offset, offset + count * size);
}

function decodeOne(message: Buffer, h: Header): NegoexMessage {
  if (h.type === NegoexMessageType.INITIATOR_NEGO || h.type === NegoexMessageType.ACCEPTOR_NEGO) {
    if (message.length < NEGO_HEADER_BYTES) throw new NegoexFormatError(`a NEGO_MESSAGE is at least ${NEGO_HEADER_BYTES} bytes`);
    const schemes = vector(message, message.readUInt32LE(80), message.readUInt16LE(84), GUID_BYTES, 'AuthSchemes');
    const extensions = vector(message, message.readUInt32LE(88), message.readUInt16LE(92), 12, 'Extensions');
    return {
      kind: 'nego', ...h,
      random: Buffer.from(message.subarray(40, 72)),
      protocolVersion: message.readBigUInt64LE(72),
      authSchemes: Array.from({ length: schemes.length / GUID_BYTES }, (_, i) => Buffer.from(schemes.subarray(i * GUID_BYTES, (i + 1) * GUID_BYTES))),
      extensionTypes: Array.from({ length: extensions.length / 12 }, (_, i) => extensions.readUInt32LE(i * 12)),
    };
  }
  if (h.type >= NegoexMessageType.INITIATOR_META_DATA && h.type <= NegoexMessageType.AP_REQUEST) {
    if (message.length < EXCHANGE_HEADER_BYTES) throw new NegoexFormatError(`an EXCHANGE_MESSAGE is at least ${EXCHANGE_HEADER_BYTES} bytes`);
    const exchange = vector(message, message.readUInt32LE(56), message.readUInt32LE(60), 1, 'Exchange');
    return { kind: 'exchange', ...h, authScheme: Buffer.from(message.subarray(40, 56)), exchange: Buffer.from(exchange) };
  }
  return { kind: 'other', ...h, message: Buffer.from(message) };
}

/** The messages of a NEGOEX token, which are concatenated, each as long as its cbMessageLength (MS-NEGOEX 3.1.5). */
export function decodeNegoexMessages(token: Uint8Array): NegoexMessage[] {
  const bytes = Buffer.from(token.buffer, token.byteOffset, token.byteLength);
  const messages: NegoexMessage[] = [];
  for (let at = 0; at < bytes.length; ) {
    if (bytes.length - at < HEADER_BYTES) throw new NegoexFormatError('a NEGOEX message ends inside its header');
    if (!bytes.subarray(at, at + 8).equals(NEGOEX_SIGNATURE)) throw new NegoexFormatError('not a NEGOEX message (no NEGOEXTS signature)');
    const length = bytes.readUInt32LE(at + 20);
    if (length < HEADER_BYTES || length > bytes.length - at) throw new NegoexFormatError(`cbMessageLength ${length} does not fit the ${bytes.length - at} bytes left`);
    const message = bytes.subarray(at, at + length);
    messages.push(decodeOne(message, { type: message.readUInt32LE(8), sequenceNum: message.readUInt32LE(12), conversationId: Buffer.from(message.subarray(24, 40)) }));
    at += length;
  }
  return messages;
}
