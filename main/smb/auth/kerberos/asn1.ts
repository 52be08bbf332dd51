// The Kerberos building blocks of RFC 4120 §5.2 (PrincipalName, EncryptedData, EncryptionKey,
// Checksum, PA-DATA, Ticket) over der.ts, and Fields: a SEQUENCE of explicit [n] fields read by
// number, each getter naming the field it failed on. Unknown [n] fields are ignored; a known
// field of the wrong type, a repeated field or an element that is not [n] is an error.
import {
  Tag,
  applicationTag,
  checkDepth,
  children,
  elements,
  decodeBitString32,
  decodeGeneralString,
  decodeInteger,
  decodeKerberosTime,
  encodeGeneralString,
  encodeInteger,
  encodeOctetString,
  expectWhole,
  explicit,
  readTlv,
  rethrowAs,
  sequence,
  DerFormatError,
} from '../der.js';

/** A Kerberos message or GSS token that is not the DER RFC 4120 / RFC 4121 describe. */
export class KerberosFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KerberosFormatError';
  }
}

/** Runs a decoder, reporting any DER error as a KerberosFormatError. */
export function kerberosDecode<T>(decode: () => T): T {
  return rethrowAs((message) => new KerberosFormatError(message), decode);
}

export interface PrincipalName {
  nameType: number;
  nameString: string[];
}
export interface EncryptedData {
  etype: number;
  kvno?: number;
  cipher: Buffer;
}
export interface EncryptionKey {
  etype: number;
  value: Buffer;
}
export interface PaData {
  type: number;
  value: Buffer;
}
export interface Checksum {
  type: number;
  value: Buffer;
}
export interface Ticket {
  realm: string;
  sname: PrincipalName;
  encPart: EncryptedData;
  /** The exact DER of the Ticket [APPLICATION 1], re-sent verbatim. */
  raw: Buffer;
}

// ---- encoding ----

/** SEQUENCE { [n] value … } with the undefined (absent OPTIONAL) fields left out. */
export function fieldSequence(fields: Array<[number, Buffer | undefined]>): Buffer {
  return sequence(...fields.flatMap(([n, value]) => (value === undefined ? [] : [explicit(n, value)])));
}

export const encodeRealm = encodeGeneralString;

export function encodePrincipalName(name: PrincipalName): Buffer {
  return fieldSequence([
    [0, encodeInteger(name.nameType)],
    [1, sequence(...name.nameString.map(encodeGeneralString))],
  ]);
}

export function encodeEncryptedData(data: EncryptedData): Buffer {
  return fieldSequence([
    [0, encodeInteger(data.etype)],
    [1, data.kvno === undefined ? undefined : encodeInteger(data.kvno)],
    [2, encodeOctetString(data.cipher)],
  ]);
}

export function encodeEncryptionKey(key: EncryptionKey): Buffer {
  return fieldSequence([
    [0, encodeInteger(key.etype)],
    [1, encodeOctetString(key.value)],
  ]);
}

export function encodeChecksum(checksum: Checksum): Buffer {
  return fieldSequence([
    [0, encodeInteger(checksum.type)],
    [1, encodeOctetString(checksum.value)],
  ]);
}

/** PA-DATA { padata-type [1], padata-value [2] } (RFC 4120 §5.2.7: the tags start at 1). */
export function encodePaData(pa: PaData): Buffer {
  return fieldSequence([
    [1, encodeInteger(pa.type)],
    [2, encodeOctetString(pa.value)],
  ]);
}

// ---- decoding ----

/** The explicit [n] fields of one SEQUENCE element, by n. */
export class Fields {
  private constructor(
    private readonly byNumber: Map<number, Buffer>,
    readonly what: string,
    readonly depth: number,
  ) {}

  /** Opens `element`, which must be one SEQUENCE (or `tag`) filling it exactly. */
  static of(element: Buffer, what: string, depth: number, tag: number = Tag.SEQUENCE): Fields {
    checkDepth(depth, what);
    let content = expectWhole(element, tag, what);
    if (tag !== Tag.SEQUENCE) content = expectWhole(content, Tag.SEQUENCE, what);
    const byNumber = new Map<number, Buffer>();
    for (const field of children(content, what)) {
      if ((field.tag & 0xe0) !== 0xa0) throw new DerFormatError(`${what}: expected [n] fields, got tag 0x${field.tag.toString(16)}`);
      const n = field.tag & 0x1f;
      if (byNumber.has(n)) throw new DerFormatError(`${what}: field [${n}] appears twice`);
      byNumber.set(n, field.value);
    }
    return new Fields(byNumber, what, depth);
  }

  /** The element inside [n] (its TLV bytes), or undefined when the field is absent. */
  optional(n: number): Buffer | undefined {
    return this.byNumber.get(n);
  }

  required(n: number, name: string): Buffer {
    const element = this.byNumber.get(n);
    if (element === undefined) throw new DerFormatError(`${this.what}: ${name} [${n}] is missing`);
    return element;
  }

  /** A nested decoder's view of field [n]: its element, its dotted name and its depth. */
  nested<T>(n: number, name: string, decode: (element: Buffer, what: string, depth: number) => T): T {
    return decode(this.required(n, name), `${this.what}.${name}`, this.depth + 1);
  }

  optionalNested<T>(n: number, name: string, decode: (element: Buffer, what: string, depth: number) => T): T | undefined {
    return this.byNumber.has(n) ? this.nested(n, name, decode) : undefined;
  }

  private primitive<T>(n: number, name: string, tag: number, read: (value: Buffer, what: string) => T): T {
    const what = `${this.what}.${name}`;
    return read(expectWhole(this.required(n, name), tag, what), what);
  }

  private optionalPrimitive<T>(n: number, name: string, tag: number, read: (value: Buffer, what: string) => T): T | undefined {
    return this.byNumber.has(n) ? this.primitive(n, name, tag, read) : undefined;
  }

  int(n: number, name: string): number {
    return this.primitive(n, name, Tag.INTEGER, decodeInteger);
  }
  optionalInt(n: number, name: string): number | undefined {
    return this.optionalPrimitive(n, name, Tag.INTEGER, decodeInteger);
  }
  /** Microseconds ::= INTEGER (0..999999). */
  usec(n: number, name: string): number {
    return this.primitive(n, name, Tag.INTEGER, microseconds);
  }
  optionalUsec(n: number, name: string): number | undefined {
    return this.optionalPrimitive(n, name, Tag.INTEGER, microseconds);
  }
  /** UInt32 seq-number; a negative value (Windows 2000 sent signed ones) reads as its 32-bit pattern. */
  optionalUint32(n: number, name: string): number | undefined {
    const value = this.optionalInt(n, name);
    return value === undefined ? undefined : value >>> 0;
  }
  string(n: number, name: string): string {
    return this.primitive(n, name, Tag.GENERAL_STRING, decodeGeneralString);
  }
  optionalString(n: number, name: string): string | undefined {
    return this.optionalPrimitive(n, name, Tag.GENERAL_STRING, decodeGeneralString);
  }
  octets(n: number, name: string): Buffer {
    return Buffer.from(this.primitive(n, name, Tag.OCTET_STRING, (value) => value));
  }
  optionalOctets(n: number, name: string): Buffer | undefined {
    return this.byNumber.has(n) ? this.octets(n, name) : undefined;
  }
  time(n: number, name: string): Date {
    return this.primitive(n, name, Tag.GENERALIZED_TIME, decodeKerberosTime);
  }
  optionalTime(n: number, name: string): Date | undefined {
    return this.optionalPrimitive(n, name, Tag.GENERALIZED_TIME, decodeKerberosTime);
  }
  flags(n: number, name: string): number {
    return this.primitive(n, name, Tag.BIT_STRING, decodeBitString32);
  }
  /** A SEQUENCE OF field: the complete encodings of the elements of the SEQUENCE inside [n]. */
  sequenceOf(n: number, name: string): Buffer[] {
    const what = `${this.what}.${name}`;
    checkDepth(this.depth + 1, what);
    return elements(expectWhole(this.required(n, name), Tag.SEQUENCE, what), what);
  }
}

function microseconds(value: Buffer, what: string): number {
  const usec = decodeInteger(value, what);
  if (usec < 0 || usec > 999_999) throw new DerFormatError(`${what}: microseconds ${usec} outside 0..999999`);
  return usec;
}

/** SEQUENCE OF decoded with `decode`, each element named `what[i]`. */
export function decodeSequenceOf<T>(element: Buffer, what: string, depth: number, decode: (item: Buffer, what: string, depth: number) => T): T[] {
  checkDepth(depth, what);
  return elements(expectWhole(element, Tag.SEQUENCE, what), what).map((item, i) => decode(item, `${what}[${i}]`, depth + 1));
}

export function decodePrincipalName(element: Buffer, what: string, depth: number): PrincipalName {
  const f = Fields.of(element, what, depth);
  const nameType = f.int(0, 'name-type');
  const nameString = decodeSequenceOf(f.required(1, 'name-string'), `${what}.name-string`, depth + 1, (item, itemWhat) =>
    decodeGeneralString(expectWhole(item, Tag.GENERAL_STRING, itemWhat), itemWhat),
  );
  return { nameType, nameString };
}

export function decodeEncryptedData(element: Buffer, what: string, depth: number): EncryptedData {
  const f = Fields.of(element, what, depth);
  const etype = f.int(0, 'etype');
  const kvno = f.optionalInt(1, 'kvno');
  return { etype, ...(kvno === undefined ? {} : { kvno: kvno >>> 0 }), cipher: f.octets(2, 'cipher') };
}

export function decodeEncryptionKey(element: Buffer, what: string, depth: number): EncryptionKey {
  const f = Fields.of(element, what, depth);
  return { etype: f.int(0, 'keytype'), value: f.octets(1, 'keyvalue') };
}

export function decodePaData(element: Buffer, what: string, depth: number): PaData {
  const f = Fields.of(element, what, depth);
  return { type: f.int(1, 'padata-type'), value: f.octets(2, 'padata-value') };
}

/** Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0] 5, realm [1], sname [2], enc-part [3] }. */
export function decodeTicket(element: Buffer, what: string, depth: number): Ticket {
  const f = Fields.of(element, what, depth, applicationTag(1));
  expectVersion(f.int(0, 'tkt-vno'), `${what}.tkt-vno`);
  return {
    realm: f.string(1, 'realm'),
    sname: f.nested(2, 'sname', decodePrincipalName),
    encPart: f.nested(3, 'enc-part', decodeEncryptedData),
    raw: Buffer.from(element),
  };
}

/** The n of the [APPLICATION n] element that is the whole of `bytes`. */
export function applicationNumber(bytes: Buffer, what: string): number {
  const outer = readTlv(bytes, 0, what);
  if ((outer.tag & 0xe0) !== 0x60) throw new DerFormatError(`${what}: expected an [APPLICATION n] element, got tag 0x${outer.tag.toString(16)}`);
  if (outer.end !== bytes.length) throw new DerFormatError(`${what}: trailing bytes after the message`);
  return outer.tag & 0x1f;
}

/** pvno [0] = 5 and msg-type [1] = the message's own type. */
export function expectHeader(f: Fields, msgType: number): void {
  expectVersion(f.int(0, 'pvno'), `${f.what}.pvno`);
  const declared = f.int(1, 'msg-type');
  if (declared !== msgType) throw new DerFormatError(`${f.what}.msg-type: ${declared} in a message tagged ${msgType}`);
}


/** pvno, tkt-vno and authenticator-vno are 5 (RFC 4120 §5.3, §5.4). */
export function expectVersion(version: number, what: string): void {
  if (version !== 5) throw new DerFormatError(`${what}: expected Kerberos version 5, got ${version}`);
}
