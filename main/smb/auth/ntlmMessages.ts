// The NTLM message codecs (MS-NLMP 2.2): NEGOTIATE (2.2.1.1) and AUTHENTICATE (2.2.1.3) out,
// CHALLENGE (2.2.1.2) and its AV pairs (2.2.2.1) in, every offset bounds-checked. Bytes only: the
// hashes, keys and MACs are in ntlmKeys.ts, the client that joins them in ntlm.ts.
import { utf16 } from '../codec/wire.js';

/** A CHALLENGE message (or its TargetInfo) that cannot be read as MS-NLMP 2.2.1.2 describes. */
export class NtlmFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NtlmFormatError';
  }
}

/** MS-NLMP 2.2.2.5 NEGOTIATE flags. */
export const NegotiateFlag = {
  UNICODE: 0x0000_0001,
  OEM: 0x0000_0002,
  REQUEST_TARGET: 0x0000_0004,
  SIGN: 0x0000_0010,
  SEAL: 0x0000_0020,
  NTLM: 0x0000_0200,
  ALWAYS_SIGN: 0x0000_8000,
  EXTENDED_SESSIONSECURITY: 0x0008_0000,
  TARGET_INFO: 0x0080_0000,
  VERSION: 0x0200_0000,
  KEY_128: 0x2000_0000,
  KEY_EXCH: 0x4000_0000,
  KEY_56: 0x8000_0000,
} as const;

/** MS-NLMP 2.2.2.1 AvId values. */
export const AvId = {
  EOL: 0,
  NB_COMPUTER_NAME: 1,
  NB_DOMAIN_NAME: 2,
  DNS_COMPUTER_NAME: 3,
  DNS_DOMAIN_NAME: 4,
  DNS_TREE_NAME: 5,
  FLAGS: 6,
  TIMESTAMP: 7,
  SINGLE_HOST: 8,
  TARGET_NAME: 9,
  CHANNEL_BINDINGS: 10,
} as const;

/** MsvAvFlags bit 0x2: the AUTHENTICATE message carries a MIC (MS-NLMP 2.2.2.1). */
const AV_FLAG_MIC_PRESENT = 0x2;

/** The flags a Windows client requests, SEAL included (MS-NLMP 2.2.2.5). */
export const CLIENT_FLAGS =
  NegotiateFlag.UNICODE |
  NegotiateFlag.REQUEST_TARGET |
  NegotiateFlag.SIGN |
  NegotiateFlag.SEAL |
  NegotiateFlag.NTLM |
  NegotiateFlag.ALWAYS_SIGN |
  NegotiateFlag.EXTENDED_SESSIONSECURITY |
  NegotiateFlag.TARGET_INFO |
  NegotiateFlag.VERSION |
  NegotiateFlag.KEY_128 |
  NegotiateFlag.KEY_EXCH |
  NegotiateFlag.KEY_56;

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');
/** MS-NLMP 2.2.2.10: informational only ("used for debugging"); 10.0, NTLMSSP_REVISION_W2K3. */
const CLIENT_VERSION = Buffer.from([10, 0, 0, 0, 0, 0, 0, 0x0f]);
const CHALLENGE_HEADER_BYTES = 48;
const VERSION_END = 56;
export const AUTHENTICATE_HEADER_BYTES = 88;
export const MIC_OFFSET = 72;

export interface NtlmVersion {
  major: number;
  minor: number;
  build: number;
  ntlmRevision: number;
}

/** The AV pairs of a CHALLENGE's TargetInfo that the console shows or uses (MS-NLMP 2.2.2.1). */
export interface AvPairs {
  netbiosComputerName?: string;
  netbiosDomainName?: string;
  dnsComputerName?: string;
  dnsDomainName?: string;
  dnsTreeName?: string;
  /** MsvAvTimestamp: FILETIME, 100-ns ticks since 1601-01-01 UTC. */
  timestamp?: bigint;
  flags?: number;
}

export interface ChallengeMessage {
  flags: number;
  serverChallenge: Buffer;
  targetName: string;
  /** The TargetInfo bytes exactly as the server sent them. */
  targetInfo: Buffer;
  avPairs: AvPairs;
  version?: NtlmVersion;
}

export interface AvPair {
  id: number;
  value: Buffer;
}

/** NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1): no domain or workstation supplied, with a Version. */
export function encodeNegotiateMessage(): Buffer {
  const message = Buffer.alloc(40);
  SIGNATURE.copy(message, 0);
  message.writeUInt32LE(1, 8);
  message.writeUInt32LE(CLIENT_FLAGS >>> 0, 12);
  CLIENT_VERSION.copy(message, 32);
  return message;
}

/** A security-buffer field (Len, MaxLen, Offset) of `message` at `at`, bounds-checked. */
function payloadField(message: Buffer, at: number, what: string): Buffer {
  const length = message.readUInt16LE(at);
  const offset = message.readUInt32LE(at + 4);
  if (offset > message.length || length > message.length - offset) {
    throw new NtlmFormatError(`CHALLENGE ${what} (offset ${offset}, length ${length}) lies outside the ${message.length}-byte message`);
  }
  return message.subarray(offset, offset + length);
}

function decodeUtf16(value: Buffer, what: string): string {
  if (value.length % 2 !== 0) throw new NtlmFormatError(`${what} has an odd UTF-16 length ${value.length}`);
  return value.toString('utf16le');
}

/** The AV_PAIR list (MS-NLMP 2.2.2.1) up to MsvAvEOL, which must be present. Empty input: no pairs. */
export function readAvPairs(info: Buffer): AvPair[] {
  const pairs: AvPair[] = [];
  if (info.length === 0) return pairs;
  let at = 0;
  for (;;) {
    if (info.length - at < 4) throw new NtlmFormatError('TargetInfo ends without MsvAvEOL');
    const id = info.readUInt16LE(at);
    const length = info.readUInt16LE(at + 2);
    at += 4;
    if (length > info.length - at) throw new NtlmFormatError(`AV pair ${id} of length ${length} overruns TargetInfo`);
    if (id === AvId.EOL) return pairs;
    pairs.push({ id, value: info.subarray(at, at + length) });
    at += length;
  }
}

type AvName = 'netbiosComputerName' | 'netbiosDomainName' | 'dnsComputerName' | 'dnsDomainName' | 'dnsTreeName';

const AV_NAMES: Partial<Record<number, AvName>> = {
  [AvId.NB_COMPUTER_NAME]: 'netbiosComputerName',
  [AvId.NB_DOMAIN_NAME]: 'netbiosDomainName',
  [AvId.DNS_COMPUTER_NAME]: 'dnsComputerName',
  [AvId.DNS_DOMAIN_NAME]: 'dnsDomainName',
  [AvId.DNS_TREE_NAME]: 'dnsTreeName',
};

/** The first occurrence of each pair counts; unknown pairs are kept only in the raw TargetInfo. */
function interpretAvPairs(pairs: AvPair[]): AvPairs {
  const result: AvPairs = {};
  for (const { id, value } of pairs) {
    const name = AV_NAMES[id];
    if (name !== undefined) {
      result[name] ??= decodeUtf16(value, `AV pair ${id}`);
    } else if (id === AvId.TIMESTAMP) {
      if (value.length !== 8) throw new NtlmFormatError(`MsvAvTimestamp is ${value.length} bytes, not 8`);
      result.timestamp ??= value.readBigUInt64LE(0);
    } else if (id === AvId.FLAGS) {
      if (value.length !== 4) throw new NtlmFormatError(`MsvAvFlags is ${value.length} bytes, not 4`);
      result.flags ??= value.readUInt32LE(0);
    }
  }
  return result;
}

/** CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2); every offset and length is checked before it is read. */
export function decodeChallengeMessage(bytes: Uint8Array): ChallengeMessage {
  const message = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (message.length < CHALLENGE_HEADER_BYTES) throw new NtlmFormatError(`a CHALLENGE message is at least 48 bytes, got ${message.length}`);
  if (!message.subarray(0, 8).equals(SIGNATURE)) throw new NtlmFormatError('not an NTLMSSP message');
  const type = message.readUInt32LE(8);
  if (type !== 2) throw new NtlmFormatError(`expected a CHALLENGE message (type 2), got type ${type}`);
  const flags = message.readUInt32LE(20);
  const targetNameBytes = payloadField(message, 12, 'TargetName');
  const targetInfo = payloadField(message, 40, 'TargetInfo');
  const targetName =
    (flags & NegotiateFlag.UNICODE) !== 0 ? decodeUtf16(targetNameBytes, 'TargetName') : targetNameBytes.toString('latin1');

  // The Version field exists only when negotiated and the payload starts after it.
  const payloadStart = Math.min(
    ...[12, 40].filter((at) => message.readUInt16LE(at) > 0).map((at) => message.readUInt32LE(at + 4)),
    message.length,
  );
  const hasVersion = (flags & NegotiateFlag.VERSION) !== 0 && payloadStart >= VERSION_END;
  return {
    flags,
    serverChallenge: Buffer.from(message.subarray(24, 32)),
    targetName,
    targetInfo: Buffer.from(targetInfo),
    avPairs: interpretAvPairs(readAvPairs(targetInfo)),
    ...(hasVersion
      ? { version: { major: message.readUInt8(48), minor: message.readUInt8(49), build: message.readUInt16LE(50), ntlmRevision: message.readUInt8(55) } }
      : {}),
  };
}

function encodeAvPair(id: number, value: Buffer): Buffer {
  if (value.length > 0xffff) throw new NtlmFormatError(`AV pair ${id} is too long (${value.length} bytes)`);
  const header = Buffer.alloc(4);
  header.writeUInt16LE(id, 0);
  header.writeUInt16LE(value.length, 2);
  return Buffer.concat([header, value]);
}

/**
 * The server's AV pairs echoed in their order, then MsvAvFlags (MIC present, merged with any the
 * server sent), MsvAvTargetName (when an SPN is given) and a zero MsvAvChannelBindings — no TLS
 * under SMB, so no channel binding token (MS-NLMP 3.1.5.1.2) — and MsvAvEOL.
 */
export function clientAvPairs(serverPairs: AvPair[], serverFlags: number, targetSpn: string | undefined): Buffer {
  const replaced = new Set<number>([AvId.FLAGS, AvId.TARGET_NAME, AvId.CHANNEL_BINDINGS]);
  const parts = serverPairs.filter((p) => !replaced.has(p.id)).map((p) => encodeAvPair(p.id, p.value));
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE((serverFlags | AV_FLAG_MIC_PRESENT) >>> 0);
  parts.push(encodeAvPair(AvId.FLAGS, flags));
  if (targetSpn !== undefined) parts.push(encodeAvPair(AvId.TARGET_NAME, utf16(targetSpn)));
  parts.push(encodeAvPair(AvId.CHANNEL_BINDINGS, Buffer.alloc(16)));
  parts.push(encodeAvPair(AvId.EOL, Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** What an AUTHENTICATE_MESSAGE carries (MS-NLMP 2.2.1.3), every response and key already computed. */
export interface AuthenticateFields {
  lmChallengeResponse: Buffer;
  ntChallengeResponse: Buffer;
  domain: string;
  user: string;
  workstation: string;
  encryptedRandomSessionKey: Buffer;
  negotiatedFlags: number;
}

/** AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3) with a zero MIC at MIC_OFFSET, for the caller to compute and fill in. */
export function encodeAuthenticateMessage(fields: AuthenticateFields): Buffer {
  // Security-buffer fields at 12 (Lm), 20 (Nt), 28 (Domain), 36 (User), 44 (Workstation),
  // 52 (EncryptedRandomSessionKey); payloads in the order Windows lays them out.
  const layout: Array<[number, Buffer]> = [
    [28, utf16(fields.domain)],
    [36, utf16(fields.user)],
    [44, utf16(fields.workstation)],
    [12, fields.lmChallengeResponse],
    [20, fields.ntChallengeResponse],
    [52, fields.encryptedRandomSessionKey],
  ];
  const header = Buffer.alloc(AUTHENTICATE_HEADER_BYTES);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(3, 8);
  let offset = AUTHENTICATE_HEADER_BYTES;
  for (const [at, payload] of layout) {
    if (payload.length > 0xffff) throw new NtlmFormatError('an AUTHENTICATE field exceeds 65535 bytes');
    header.writeUInt16LE(payload.length, at);
    header.writeUInt16LE(payload.length, at + 2);
    header.writeUInt32LE(offset, at + 4);
    offset += payload.length;
  }
  header.writeUInt32LE(fields.negotiatedFlags, 60);
  if ((fields.negotiatedFlags & NegotiateFlag.VERSION) !== 0) CLIENT_VERSION.copy(header, 64);
  return Buffer.concat([header, ...layout.map(([, payload]) => payload)]);
}
