// What every NTLM message shares (MS-NLMP 2.2): the "NTLMSSP\0" signature and MessageType, the
// NegotiateFlags (2.2.2.5), the security-buffer fields (Len, MaxLen, Offset) with their bounds
// checks, the VERSION structure (2.2.2.10), text in UTF-16LE or OEM, and FILETIME (2.2.2.1
// MsvAvTimestamp, 2.2.2.7 NTLMv2_CLIENT_CHALLENGE.TimeStamp). Used by the client and the lab alike.

/** An NTLM message that cannot be read as MS-NLMP 2.2 describes. */
export class NtlmFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NtlmFormatError';
  }
}

/** MS-NLMP 2.2.1: Signature, the same for every message. */
export const NTLMSSP_SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

/** MS-NLMP 2.2.1 MessageType. */
export const MessageType = { NEGOTIATE: 1, CHALLENGE: 2, AUTHENTICATE: 3 } as const;

/** MS-NLMP 2.2.2.5 NEGOTIATE flags. */
export const NegotiateFlag = {
  UNICODE: 0x0000_0001,
  OEM: 0x0000_0002,
  REQUEST_TARGET: 0x0000_0004,
  SIGN: 0x0000_0010,
  SEAL: 0x0000_0020,
  NTLM: 0x0000_0200,
  ALWAYS_SIGN: 0x0000_8000,
  /** The CHALLENGE's TargetName is a domain. */
  TARGET_TYPE_DOMAIN: 0x0001_0000,
  /** The CHALLENGE's TargetName is a computer. */
  TARGET_TYPE_SERVER: 0x0002_0000,
  EXTENDED_SESSIONSECURITY: 0x0008_0000,
  TARGET_INFO: 0x0080_0000,
  VERSION: 0x0200_0000,
  KEY_128: 0x2000_0000,
  KEY_EXCH: 0x4000_0000,
  KEY_56: 0x8000_0000,
} as const;

/** MS-NLMP 2.2.2.10 VERSION; `ntlmRevision` is 0x0F (NTLMSSP_REVISION_W2K3) on every Windows since 2003. */
export interface NtlmVersion {
  major: number;
  minor: number;
  build: number;
  ntlmRevision: number;
}

export const NTLMSSP_REVISION_W2K3 = 0x0f;

/** VERSION: major, minor, build (LE), three reserved zero bytes, revision. */
export function encodeVersion(version: NtlmVersion): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeUInt8(version.major & 0xff, 0);
  bytes.writeUInt8(version.minor & 0xff, 1);
  bytes.writeUInt16LE(version.build & 0xffff, 2);
  bytes.writeUInt8(version.ntlmRevision & 0xff, 7);
  return bytes;
}

export function decodeVersion(message: Buffer, at: number): NtlmVersion {
  return { major: message.readUInt8(at), minor: message.readUInt8(at + 1), build: message.readUInt16LE(at + 2), ntlmRevision: message.readUInt8(at + 7) };
}

/** Whether `token` starts as an NTLM message (of `type`, when given). */
export function isNtlmMessage(token: Uint8Array, type?: number): boolean {
  if (token.length < (type === undefined ? 8 : 12)) return false;
  const message = asBuffer(token);
  return message.subarray(0, 8).equals(NTLMSSP_SIGNATURE) && (type === undefined || message.readUInt32LE(8) === type);
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const TYPE_NAMES: Record<number, string> = { 1: 'NEGOTIATE', 2: 'CHALLENGE', 3: 'AUTHENTICATE' };

/** The message as a Buffer, after checking its length, signature and MessageType. */
export function expectMessage(bytes: Uint8Array, type: number, minLength: number): Buffer {
  const message = asBuffer(bytes);
  const name = TYPE_NAMES[type] ?? `type ${type}`;
  if (message.length < minLength) throw new NtlmFormatError(`a ${name} message is at least ${minLength} bytes, got ${message.length}`);
  if (!message.subarray(0, 8).equals(NTLMSSP_SIGNATURE)) throw new NtlmFormatError('not an NTLMSSP message');
  const actual = message.readUInt32LE(8);
  if (actual !== type) throw new NtlmFormatError(`expected a ${name} message (type ${type}), got type ${actual}`);
  return message;
}

/** A security-buffer field (Len, MaxLen, Offset) of `message` at `at`, bounds-checked. */
export function payloadField(message: Buffer, at: number, what: string): Buffer {
  const length = message.readUInt16LE(at);
  const offset = message.readUInt32LE(at + 4);
  if (offset > message.length || length > message.length - offset) {
    throw new NtlmFormatError(`${what} (offset ${offset}, length ${length}) lies outside the ${message.length}-byte message`);
  }
  return message.subarray(offset, offset + length);
}

/**
 * Where the payload starts: the lowest offset of the non-empty fields at `fieldsAt`, or the
 * message's end. Optional header parts (Version, MIC) exist only when the payload starts after them.
 */
export function payloadStart(message: Buffer, fieldsAt: readonly number[]): number {
  return Math.min(...fieldsAt.filter((at) => message.readUInt16LE(at) > 0).map((at) => message.readUInt32LE(at + 4)), message.length);
}

/**
 * `header` with the security-buffer fields at the given offsets pointing at their payloads, laid
 * out in the order given from the header's end, followed by the payloads.
 */
export function withPayloads(header: Buffer, layout: ReadonlyArray<readonly [at: number, payload: Buffer]>): Buffer {
  let offset = header.length;
  for (const [at, payload] of layout) {
    if (payload.length > 0xffff) throw new NtlmFormatError(`an NTLM field exceeds 65535 bytes (${payload.length})`);
    header.writeUInt16LE(payload.length, at);
    header.writeUInt16LE(payload.length, at + 2);
    header.writeUInt32LE(offset, at + 4);
    offset += payload.length;
  }
  return Buffer.concat([header, ...layout.map(([, payload]) => payload)]);
}

/** Text as NTLMSSP_NEGOTIATE_UNICODE says: UTF-16LE, else the OEM code page (Latin-1 here). */
export function encodeText(text: string, flags: number): Buffer {
  return flags & NegotiateFlag.UNICODE ? Buffer.from(text, 'utf16le') : Buffer.from(text, 'latin1');
}

export function decodeUtf16(value: Buffer, what: string): string {
  if (value.length % 2 !== 0) throw new NtlmFormatError(`${what} has an odd UTF-16 length ${value.length}`);
  return value.toString('utf16le');
}

export function decodeText(value: Buffer, flags: number, what: string): string {
  return flags & NegotiateFlag.UNICODE ? decodeUtf16(value, what) : value.toString('latin1');
}

/** 100-ns ticks between 1601-01-01 and 1970-01-01 (the FILETIME epoch, MS-DTYP 2.3.3). */
export const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

/** A FILETIME for a JavaScript time in milliseconds (default: now). */
export function filetimeNow(ms: number = Date.now()): bigint {
  return BigInt(ms) * 10_000n + FILETIME_UNIX_EPOCH;
}
