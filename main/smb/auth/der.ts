// The DER subset (X.690) that SPNEGO (RFC 4178) and Kerberos (RFC 4120 §5) use: single-byte
// tags, definite lengths, INTEGER in the 32-bit range, KerberosFlags, KerberosTime, OIDs, strings.
// Every read checks every length before it reads; decode errors are DerFormatError, which the
// protocol modules re-throw as their own error class (see rethrowAs).

/** Bytes that are not the DER this module reads. */
export class DerFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerFormatError';
  }
}

/** Universal tags (X.690 §8; constructed SEQUENCE). */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  ENUMERATED: 0x0a,
  GENERALIZED_TIME: 0x18,
  GENERAL_STRING: 0x1b,
  SEQUENCE: 0x30,
} as const;

/** How deep nested decoders may go (Kerberos needs about 6 levels). */
export const MAX_DEPTH = 16;

function tagNumber(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`tag number ${n} needs a multi-byte tag`);
  return n;
}

/** A constructed context-specific tag [n] (explicit tagging), n in 0..30. */
export const contextTag = (n: number): number => 0xa0 + tagNumber(n);
/** A constructed [APPLICATION n] tag, n in 0..30. */
export const applicationTag = (n: number): number => 0x60 + tagNumber(n);

// ---- encoding ----

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

export const sequence = (...items: Buffer[]): Buffer => tlv(Tag.SEQUENCE, ...items);
export const explicit = (n: number, inner: Buffer): Buffer => tlv(contextTag(n), inner);
export const application = (n: number, ...contents: Buffer[]): Buffer => tlv(applicationTag(n), ...contents);

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
  return tlv(Tag.OID, Buffer.from(bytes));
}

/** INTEGER in minimal two's complement: -2^31 .. 2^32-1 (unsigned 32-bit values take a leading 0x00). */
export function encodeInteger(value: number): Buffer {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) throw new RangeError(`INTEGER ${value} is outside the 32-bit range`);
  const bytes = Buffer.alloc(5);
  bytes.writeUInt8(value < 0 ? 0xff : 0x00, 0);
  bytes.writeUInt32BE(value >>> 0, 1);
  let start = 0;
  while (start < 4 && redundant(bytes.readUInt8(start), bytes.readUInt8(start + 1))) start++;
  return tlv(Tag.INTEGER, bytes.subarray(start));
}

/** A leading byte that only repeats the sign of the next one (X.690 §8.3.2). */
function redundant(first: number, next: number): boolean {
  return (first === 0x00 && next < 0x80) || (first === 0xff && next >= 0x80);
}

export const encodeBoolean = (value: boolean): Buffer => tlv(Tag.BOOLEAN, Buffer.of(value ? 0xff : 0x00));
export const encodeOctetString = (value: Buffer): Buffer => tlv(Tag.OCTET_STRING, value);
/** GeneralString / KerberosString: UTF-8 (ASCII in practice, RFC 4120 §5.2.1). */
export const encodeGeneralString = (value: string): Buffer => tlv(Tag.GENERAL_STRING, Buffer.from(value, 'utf8'));

/** KerberosFlags (RFC 4120 §5.2.8): a 32-bit BIT STRING, bit 0 the most significant, no unused bits. */
export function encodeBitString32(flags: number): Buffer {
  if (!Number.isInteger(flags) || flags < -0x80000000 || flags > 0xffffffff) throw new RangeError(`flags ${flags} do not fit 32 bits`);
  const value = Buffer.alloc(5);
  value.writeUInt32BE(flags >>> 0, 1);
  return tlv(Tag.BIT_STRING, value);
}

/** KerberosTime (RFC 4120 §5.2.3): GeneralizedTime "YYYYMMDDHHMMSSZ", UTC, no fractional seconds. */
export function encodeKerberosTime(time: Date): Buffer {
  const year = time.getUTCFullYear();
  if (Number.isNaN(time.getTime()) || year < 0 || year > 9999) throw new RangeError('KerberosTime needs a valid date in years 0..9999');
  const two = (n: number): string => String(n).padStart(2, '0');
  const text = `${String(year).padStart(4, '0')}${two(time.getUTCMonth() + 1)}${two(time.getUTCDate())}${two(time.getUTCHours())}${two(time.getUTCMinutes())}${two(time.getUTCSeconds())}Z`;
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(text, 'latin1'));
}

// ---- decoding ----

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** The content octets. */
  value: Buffer;
  /** Offset just past the element. */
  end: number;
}

export function readTlv(buf: Buffer, at: number, what: string): Tlv {
  if (buf.length - at < 2) throw new DerFormatError(`${what}: truncated before its tag and length`);
  const tag = buf.readUInt8(at);
  if ((tag & 0x1f) === 0x1f) throw new DerFormatError(`${what}: multi-byte tags are not supported`);
  const first = buf.readUInt8(at + 1);
  let pos = at + 2;
  let length = first;
  if (first === 0x80) throw new DerFormatError(`${what}: indefinite length is not DER`);
  if (first > 0x80) {
    const count = first & 0x7f;
    if (count > 4) throw new DerFormatError(`${what}: a ${count}-byte length is too large`);
    if (buf.length - pos < count) throw new DerFormatError(`${what}: truncated inside its length`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf.readUInt8(pos + i);
    pos += count;
  }
  if (length > buf.length - pos) throw new DerFormatError(`${what}: length ${length} overruns the ${buf.length - pos} bytes left`);
  return { tag, start: at, value: buf.subarray(pos, pos + length), end: pos + length };
}

export function expectTlv(buf: Buffer, at: number, tag: number, what: string): Tlv {
  const element = readTlv(buf, at, what);
  if (element.tag !== tag) throw new DerFormatError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${element.tag.toString(16)}`);
  return element;
}

/** The content of the one element of `tag` that fills `bytes` exactly. */
export function expectWhole(bytes: Buffer, tag: number, what: string): Buffer {
  const element = expectTlv(bytes, 0, tag, what);
  if (element.end !== bytes.length) throw new DerFormatError(`${what}: trailing bytes after the value`);
  return element.value;
}

/** The elements of a constructed value, which must fill it exactly. */
export function children(value: Buffer, what: string): Tlv[] {
  const elements: Tlv[] = [];
  for (let at = 0; at < value.length; ) {
    const element = readTlv(value, at, what);
    elements.push(element);
    at = element.end;
  }
  return elements;
}

/** The complete encodings (tag, length, content) of the elements of a constructed value. */
export function elements(value: Buffer, what: string): Buffer[] {
  return children(value, what).map((element) => value.subarray(element.start, element.end));
}

/** The single element an explicit [n] tag wraps. */
export function unwrap(element: Tlv, tag: number, what: string): Buffer {
  return expectWhole(element.value, tag, what);
}

/** A SEQUENCE's elements by tag, the first of each tag winning (SPNEGO's lenient reading). */
export function fieldsByTag(sequenceValue: Buffer, what: string): Map<number, Tlv> {
  const fields = new Map<number, Tlv>();
  for (const element of children(sequenceValue, what)) {
    if (!fields.has(element.tag)) fields.set(element.tag, element);
  }
  return fields;
}

export function decodeOid(value: Buffer, what: string): string {
  if (value.length === 0) throw new DerFormatError(`${what}: empty OBJECT IDENTIFIER`);
  const arcs: number[] = [];
  let arc = 0;
  for (let i = 0; i < value.length; i++) {
    const byte = value.readUInt8(i);
    if (arc > Number.MAX_SAFE_INTEGER / 128) throw new DerFormatError(`${what}: OID arc too large`);
    arc = arc * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(arc < 80 ? Math.floor(arc / 40) : 2, arc < 80 ? arc % 40 : arc - 80);
      else arcs.push(arc);
      arc = 0;
    } else if (i === value.length - 1) {
      throw new DerFormatError(`${what}: OID ends inside an arc`);
    }
  }
  return arcs.join('.');
}

/** INTEGER content as a number in -2^31 .. 2^32-1: minimal, at most 4 bytes, or 5 with a leading 0x00. */
export function decodeInteger(value: Buffer, what: string): number {
  if (value.length === 0) throw new DerFormatError(`${what}: empty INTEGER`);
  if (value.length > 1 && redundant(value.readUInt8(0), value.readUInt8(1))) throw new DerFormatError(`${what}: INTEGER is not minimally encoded`);
  if (value.length > 5 || (value.length === 5 && value.readUInt8(0) !== 0)) throw new DerFormatError(`${what}: INTEGER is outside the 32-bit range`);
  return value.length === 5 ? value.readUInt32BE(1) : value.readIntBE(0, value.length);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** GeneralString content as strict UTF-8 (a superset of the IA5 that Windows and Samba send). */
export function decodeGeneralString(value: Buffer, what: string): string {
  try {
    return utf8.decode(value);
  } catch {
    throw new DerFormatError(`${what}: the string is not valid UTF-8`);
  }
}

/** KerberosFlags content: exactly 32 bits with an unused-bits count of 0, as an unsigned number. */
export function decodeBitString32(value: Buffer, what: string): number {
  if (value.length !== 5) throw new DerFormatError(`${what}: expected a 32-bit BIT STRING, got ${value.length} content bytes`);
  if (value.readUInt8(0) !== 0) throw new DerFormatError(`${what}: a 32-bit BIT STRING has no unused bits`);
  return value.readUInt32BE(1);
}

/** KerberosTime content: exactly "YYYYMMDDHHMMSSZ" naming a real UTC second (no fractions, no offset). */
export function decodeKerberosTime(value: Buffer, what: string): Date {
  const text = value.toString('latin1');
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) throw new DerFormatError(`${what}: KerberosTime must be YYYYMMDDHHMMSSZ (${value.length} bytes given)`);
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const time = new Date(0);
  time.setUTCFullYear(year, month - 1, day);
  time.setUTCHours(hour, minute, second, 0);
  const same =
    time.getUTCFullYear() === year && time.getUTCMonth() === month - 1 && time.getUTCDate() === day &&
    time.getUTCHours() === hour && time.getUTCMinutes() === minute && time.getUTCSeconds() === second;
  if (!same) throw new DerFormatError(`${what}: KerberosTime ${text} is not a valid date and time`);
  return time;
}

/** Throws when a decoder nests deeper than MAX_DEPTH. */
export function checkDepth(depth: number, what: string): void {
  if (depth > MAX_DEPTH) throw new DerFormatError(`${what}: nested more than ${MAX_DEPTH} levels deep`);
}

/** Runs `decode`, re-throwing a DerFormatError as the caller's own error class with the same message. */
export function rethrowAs<T>(makeError: (message: string) => Error, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof DerFormatError) throw makeError(error.message);
    throw error;
  }
}
