// SPNEGO (RFC 4178, MS-SPNG) around NTLMSSP: the DER subset SESSION_SETUP needs. Encoders emit
// what a Windows client sends; decoders read the server's NegTokenInit2 (MS-SPNG 2.2.1) from
// NEGOTIATE and its NegTokenResp from SESSION_SETUP, checking every length before reading.

/** A token that is not the DER RFC 4178 describes. */
export class SpnegoFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpnegoFormatError';
  }
}

export const SPNEGO_OID = '1.3.6.1.5.5.2';
export const NTLMSSP_OID = '1.3.6.1.4.1.311.2.2.10';

/** RFC 4178 §4.2.2 negState. */
export const NegState = {
  ACCEPT_COMPLETED: 0,
  ACCEPT_INCOMPLETE: 1,
  REJECT: 2,
  REQUEST_MIC: 3,
} as const;

// ASN.1 tags (X.690 §8): universal, [APPLICATION 0] constructed, and [n] context constructed.
const TAG_ENUMERATED = 0x0a;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_SEQUENCE = 0x30;
const TAG_APPLICATION_0 = 0x60;
const context = (n: number): number => 0xa0 + n;

const NTLMSSP_SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

// ---- DER encoding ----

export function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.of(tag), derLength(body.length), body]);
}

/** X.690 §8.19: the first two arcs as 40·a + b, then base-128 with continuation bits. */
export function encodeOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const groups: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(TAG_OID, Buffer.from(bytes));
}

/** DER MechTypeList = SEQUENCE OF { NTLMSSP }: the bytes a mechListMIC covers (RFC 4178 §5). */
export function encodeMechTypeList(): Buffer {
  return tlv(TAG_SEQUENCE, encodeOid(NTLMSSP_OID));
}

/** GSS-API InitialContextToken (RFC 2743 §3.1) with NegTokenInit { mechTypes = [NTLMSSP], mechToken }. */
export function encodeNegTokenInit(mechToken: Buffer): Buffer {
  const negTokenInit = tlv(TAG_SEQUENCE, tlv(context(0), encodeMechTypeList()), tlv(context(2), tlv(TAG_OCTET_STRING, mechToken)));
  return tlv(TAG_APPLICATION_0, encodeOid(SPNEGO_OID), tlv(context(0), negTokenInit));
}

/**
 * NegTokenResp { negState?, responseToken, mechListMIC? } (RFC 4178 §4.2.2). negState is optional
 * after the target's first reply; Windows clients send accept-incomplete (1) with the AUTHENTICATE.
 */
export function encodeNegTokenResp(responseToken: Buffer, mechListMic?: Buffer, negState?: number): Buffer {
  const fields: Buffer[] = [];
  if (negState !== undefined) fields.push(tlv(context(0), tlv(TAG_ENUMERATED, Buffer.of(negState))));
  fields.push(tlv(context(2), tlv(TAG_OCTET_STRING, responseToken)));
  if (mechListMic !== undefined) fields.push(tlv(context(3), tlv(TAG_OCTET_STRING, mechListMic)));
  return tlv(context(1), tlv(TAG_SEQUENCE, ...fields));
}

// ---- DER decoding ----

interface Tlv {
  tag: number;
  value: Buffer;
  end: number;
}

function readTlv(buf: Buffer, at: number, what: string): Tlv {
  if (buf.length - at < 2) throw new SpnegoFormatError(`${what}: truncated before its tag and length`);
  const tag = buf.readUInt8(at);
  if ((tag & 0x1f) === 0x1f) throw new SpnegoFormatError(`${what}: multi-byte tags are not used by SPNEGO`);
  const first = buf.readUInt8(at + 1);
  let pos = at + 2;
  let length = first;
  if (first === 0x80) throw new SpnegoFormatError(`${what}: indefinite length is not DER`);
  if (first > 0x80) {
    const count = first & 0x7f;
    if (count > 4) throw new SpnegoFormatError(`${what}: a ${count}-byte length is too large`);
    if (buf.length - pos < count) throw new SpnegoFormatError(`${what}: truncated inside its length`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf.readUInt8(pos + i);
    pos += count;
  }
  if (length > buf.length - pos) throw new SpnegoFormatError(`${what}: length ${length} overruns the ${buf.length - pos} bytes left`);
  return { tag, value: buf.subarray(pos, pos + length), end: pos + length };
}

function expectTlv(buf: Buffer, at: number, tag: number, what: string): Tlv {
  const element = readTlv(buf, at, what);
  if (element.tag !== tag) throw new SpnegoFormatError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${element.tag.toString(16)}`);
  return element;
}

/** The elements of a constructed value, which must fill it exactly. */
function children(value: Buffer, what: string): Tlv[] {
  const elements: Tlv[] = [];
  for (let at = 0; at < value.length; ) {
    const element = readTlv(value, at, what);
    elements.push(element);
    at = element.end;
  }
  return elements;
}

/** The single element an explicit [n] tag wraps. */
function unwrap(element: Tlv, tag: number, what: string): Buffer {
  const inner = expectTlv(element.value, 0, tag, what);
  if (inner.end !== element.value.length) throw new SpnegoFormatError(`${what}: trailing bytes after the value`);
  return inner.value;
}

function decodeOid(value: Buffer, what: string): string {
  if (value.length === 0) throw new SpnegoFormatError(`${what}: empty OBJECT IDENTIFIER`);
  const arcs: number[] = [];
  let arc = 0;
  for (let i = 0; i < value.length; i++) {
    const byte = value.readUInt8(i);
    if (arc > Number.MAX_SAFE_INTEGER / 128) throw new SpnegoFormatError(`${what}: OID arc too large`);
    arc = arc * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(arc < 80 ? Math.floor(arc / 40) : 2, arc < 80 ? arc % 40 : arc - 80);
      else arcs.push(arc);
      arc = 0;
    } else if (i === value.length - 1) {
      throw new SpnegoFormatError(`${what}: OID ends inside an arc`);
    }
  }
  return arcs.join('.');
}

function isRawNtlmssp(buf: Buffer): boolean {
  return buf.length >= NTLMSSP_SIGNATURE.length && buf.subarray(0, NTLMSSP_SIGNATURE.length).equals(NTLMSSP_SIGNATURE);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function fieldsByTag(sequence: Buffer, what: string): Map<number, Tlv> {
  const fields = new Map<number, Tlv>();
  for (const element of children(sequence, what)) {
    if (!fields.has(element.tag)) fields.set(element.tag, element);
  }
  return fields;
}

export interface NegTokenInitInfo {
  /** Mechanisms the server offers, as dotted OIDs, in its order of preference. */
  mechTypes: string[];
  /** The DER MechTypeList exactly as sent (SEQUENCE tag included): what a mechListMIC covers (RFC 4178 §5). */
  mechTypesDer?: Buffer;
  mechToken?: Buffer;
}

/**
 * The server's NEGOTIATE security buffer: a GSS InitialContextToken holding NegTokenInit2
 * (MS-SPNG 2.2.1). An empty buffer (the server leaves the choice to the client, MS-SMB2 3.3.5.4)
 * gives no mechanisms; a raw NTLMSSP token is reported as NTLMSSP with itself as mechToken.
 */
export function decodeNegTokenInit(bytes: Uint8Array): NegTokenInitInfo {
  const buf = asBuffer(bytes);
  if (buf.length === 0) return { mechTypes: [] };
  if (isRawNtlmssp(buf)) return { mechTypes: [NTLMSSP_OID], mechToken: Buffer.from(buf) };

  let negotiation = buf;
  if (buf.readUInt8(0) === TAG_APPLICATION_0) {
    const app = readTlv(buf, 0, 'InitialContextToken');
    const thisMech = expectTlv(app.value, 0, TAG_OID, 'thisMech');
    const oid = decodeOid(thisMech.value, 'thisMech');
    if (oid !== SPNEGO_OID) throw new SpnegoFormatError(`the token is for mechanism ${oid}, not SPNEGO`);
    negotiation = app.value.subarray(thisMech.end);
  }
  const init = expectTlv(negotiation, 0, context(0), 'NegotiationToken');
  const sequence = unwrap(init, TAG_SEQUENCE, 'NegTokenInit');
  const fields = fieldsByTag(sequence, 'NegTokenInit');

  const mechTypesField = fields.get(context(0));
  const mechTypes = mechTypesField
    ? children(unwrap(mechTypesField, TAG_SEQUENCE, 'mechTypes'), 'mechTypes').map((mech) => {
        if (mech.tag !== TAG_OID) throw new SpnegoFormatError(`mechTypes: expected OIDs, got tag 0x${mech.tag.toString(16)}`);
        return decodeOid(mech.value, 'mechTypes');
      })
    : [];
  const mechTokenField = fields.get(context(2));
  return {
    mechTypes,
    ...(mechTypesField ? { mechTypesDer: Buffer.from(mechTypesField.value) } : {}),
    ...(mechTokenField ? { mechToken: Buffer.from(unwrap(mechTokenField, TAG_OCTET_STRING, 'mechToken')) } : {}),
  };
}

export interface NegTokenRespInfo {
  negState?: number;
  supportedMech?: string;
  responseToken?: Buffer;
  mechListMic?: Buffer;
}

/** The server's NegTokenResp (RFC 4178 §4.2.2), or a raw NTLMSSP token sent unwrapped. */
export function decodeNegTokenResp(bytes: Uint8Array): NegTokenRespInfo {
  const buf = asBuffer(bytes);
  if (isRawNtlmssp(buf)) return { responseToken: Buffer.from(buf) };
  const resp = expectTlv(buf, 0, context(1), 'NegTokenResp');
  const fields = fieldsByTag(unwrap(resp, TAG_SEQUENCE, 'NegTokenResp'), 'NegTokenResp');
  const result: NegTokenRespInfo = {};

  const negState = fields.get(context(0));
  if (negState) {
    const value = unwrap(negState, TAG_ENUMERATED, 'negState');
    if (value.length !== 1) throw new SpnegoFormatError(`negState: expected one byte, got ${value.length}`);
    result.negState = value.readUInt8(0);
  }
  const supportedMech = fields.get(context(1));
  if (supportedMech) result.supportedMech = decodeOid(unwrap(supportedMech, TAG_OID, 'supportedMech'), 'supportedMech');
  const responseToken = fields.get(context(2));
  if (responseToken) result.responseToken = Buffer.from(unwrap(responseToken, TAG_OCTET_STRING, 'responseToken'));
  const mechListMic = fields.get(context(3));
  if (mechListMic) result.mechListMic = Buffer.from(unwrap(mechListMic, TAG_OCTET_STRING, 'mechListMIC'));
  return result;
}
