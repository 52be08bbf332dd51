// NTLMv2 client (MS-NLMP): NEGOTIATE (2.2.1.1), CHALLENGE (2.2.1.2), AUTHENTICATE (2.2.1.3),
// the NTLMv2 response and keys (3.3.2, 3.4.5.1), the MIC (3.1.5.1.2) and the MAC that SPNEGO's
// mechListMIC needs (3.4.4.2). Randomness is injected; the clock is read only when neither the
// caller nor the server's MsvAvTimestamp supplies the time (3.1.5.1.2 "Set Time to Currenttime").
import { createHash, createHmac } from 'node:crypto';
import { md4 } from '../crypto/md4.js';
import { rc4 } from '../crypto/rc4.js';

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
const CLIENT_FLAGS =
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
const AUTHENTICATE_HEADER_BYTES = 88;
const MIC_OFFSET = 72;
/** 100-ns ticks between 1601-01-01 and 1970-01-01 (FILETIME epoch). */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

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

interface AvPair {
  id: number;
  value: Buffer;
}

function utf16(text: string): Buffer {
  return Buffer.from(text, 'utf16le');
}

function hmacMd5(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const hmac = createHmac('md5', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

function requireLength(value: Buffer, bytes: number, what: string): void {
  if (value.length !== bytes) throw new RangeError(`${what} must be ${bytes} bytes, got ${value.length}`);
}

/** NT hash = MD4(UTF-16LE(password)) (MS-NLMP 3.3.1 NTOWFv1, reused by NTOWFv2). */
export function ntHash(password: string): Buffer {
  return md4(utf16(password));
}

/**
 * Upper-cases one UTF-16 unit at a time, as Windows' RtlUpcaseUnicodeString does: a character
 * whose JavaScript upper case has another length ('ß' → 'SS') is left as it is.
 */
function upcaseLikeWindows(text: string): string {
  let out = '';
  for (const ch of text) {
    const upper = ch.toUpperCase();
    out += upper.length === ch.length ? upper : ch;
  }
  return out;
}

/** NTOWFv2 = HMAC-MD5(NT hash, UTF-16LE(UPPER(user) ‖ domain)) (MS-NLMP 3.3.2); domain keeps its case. */
export function ntowfV2(ntHashValue: Buffer, user: string, domain: string): Buffer {
  requireLength(ntHashValue, 16, 'the NT hash');
  return hmacMd5(ntHashValue, utf16(upcaseLikeWindows(user) + domain));
}

/** `DOMAIN\user`, `user@domain` or `user`; `.\user` and a bare user mean a local account (domain ''). */
export function parseUserName(s: string): { user: string; domain: string } {
  const slash = s.indexOf('\\');
  if (slash >= 0) {
    const domain = s.slice(0, slash);
    return { user: s.slice(slash + 1), domain: domain === '.' ? '' : domain };
  }
  const at = s.lastIndexOf('@');
  if (at > 0) return { user: s.slice(0, at), domain: s.slice(at + 1) };
  return { user: s, domain: '' };
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
function readAvPairs(info: Buffer): AvPair[] {
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
function clientAvPairs(serverPairs: AvPair[], serverFlags: number, targetSpn: string | undefined): Buffer {
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

/**
 * NTLMv2 response (MS-NLMP 3.3.2): temp = 0x01 0x01 Z(6) ‖ Time ‖ ClientChallenge ‖ Z(4) ‖
 * AV pairs (with MsvAvEOL) ‖ Z(4); NTProofStr = HMAC-MD5(ResponseKeyNT, ServerChallenge ‖ temp);
 * NtChallengeResponse = NTProofStr ‖ temp; SessionBaseKey = HMAC-MD5(ResponseKeyNT, NTProofStr).
 */
export function computeNtlmV2Response(
  responseKeyNt: Buffer,
  serverChallenge: Buffer,
  clientChallenge: Buffer,
  timestamp: bigint,
  avPairs: Buffer,
): { ntProofStr: Buffer; ntChallengeResponse: Buffer; sessionBaseKey: Buffer } {
  requireLength(serverChallenge, 8, 'the server challenge');
  requireLength(clientChallenge, 8, 'the client challenge');
  const fixed = Buffer.alloc(28);
  fixed[0] = 1;
  fixed[1] = 1;
  fixed.writeBigUInt64LE(BigInt.asUintN(64, timestamp), 8);
  clientChallenge.copy(fixed, 16);
  const temp = Buffer.concat([fixed, avPairs, Buffer.alloc(4)]);
  const ntProofStr = hmacMd5(responseKeyNt, serverChallenge, temp);
  return { ntProofStr, ntChallengeResponse: Buffer.concat([ntProofStr, temp]), sessionBaseKey: hmacMd5(responseKeyNt, ntProofStr) };
}

/** MIC = HMAC-MD5(ExportedSessionKey, NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE with a zero MIC) (MS-NLMP 3.1.5.1.2). */
export function computeMic(exportedSessionKey: Buffer, negotiate: Buffer, challenge: Buffer, authenticate: Buffer): Buffer {
  if (authenticate.length < AUTHENTICATE_HEADER_BYTES) throw new RangeError('the AUTHENTICATE message has no MIC field');
  const zeroed = Buffer.from(authenticate);
  zeroed.fill(0, MIC_OFFSET, MIC_OFFSET + 16);
  return hmacMd5(exportedSessionKey, negotiate, challenge, zeroed);
}

function filetimeNow(): bigint {
  return BigInt(Date.now()) * 10_000n + FILETIME_UNIX_EPOCH;
}

export interface AuthenticateOptions {
  negotiateMessage: Buffer;
  challengeMessage: Buffer;
  challenge: ChallengeMessage;
  user: string;
  domain: string;
  workstation: string;
  ntHash: Buffer;
  /** 8 random bytes. */
  clientChallenge: Buffer;
  /** 16 random bytes; used only when KEY_EXCH is negotiated. */
  exportedSessionKey: Buffer;
  /** Default: the challenge's MsvAvTimestamp, else the current time. */
  timestamp?: bigint;
  /** MsvAvTargetName, e.g. 'cifs/host'; omitted from TargetInfo when not given. */
  targetSpn?: string;
}

export interface AuthenticateResult {
  message: Buffer;
  /** The SMB session key (MS-SMB2 3.2.5.3.1). */
  exportedSessionKey: Buffer;
  sessionBaseKey: Buffer;
  /** The NegotiateFlags sent: the server's flags masked by the client's. */
  negotiatedFlags: number;
}

/** AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3) with an NTLMv2 response, key exchange and MIC. */
export function buildAuthenticateMessage(opts: AuthenticateOptions): AuthenticateResult {
  const { challenge } = opts;
  requireLength(opts.exportedSessionKey, 16, 'the exported session key');
  const negotiatedFlags = ((challenge.flags & CLIENT_FLAGS) | NegotiateFlag.UNICODE) >>> 0;
  const serverTimestamp = challenge.avPairs.timestamp;
  const timestamp = opts.timestamp ?? serverTimestamp ?? filetimeNow();

  const responseKey = ntowfV2(opts.ntHash, opts.user, opts.domain);
  const avPairs = clientAvPairs(readAvPairs(challenge.targetInfo), challenge.avPairs.flags ?? 0, opts.targetSpn);
  const { ntChallengeResponse, sessionBaseKey } = computeNtlmV2Response(responseKey, challenge.serverChallenge, opts.clientChallenge, timestamp, avPairs);
  // MS-NLMP 3.1.5.1.2: with MsvAvTimestamp the LM response is Z(24); otherwise LMv2 (3.3.2).
  const lmChallengeResponse =
    serverTimestamp !== undefined
      ? Buffer.alloc(24)
      : Buffer.concat([hmacMd5(responseKey, challenge.serverChallenge, opts.clientChallenge), opts.clientChallenge]);

  // MS-NLMP 3.4.5.1 / 3.1.5.1.2: with NTLMv2, KeyExchangeKey = SessionBaseKey.
  const keyExchange = (negotiatedFlags & NegotiateFlag.KEY_EXCH) !== 0 && (negotiatedFlags & (NegotiateFlag.SIGN | NegotiateFlag.SEAL)) !== 0;
  const exportedSessionKey = keyExchange ? Buffer.from(opts.exportedSessionKey) : sessionBaseKey;
  const encryptedRandomSessionKey = keyExchange ? rc4(sessionBaseKey, opts.exportedSessionKey) : Buffer.alloc(0);

  // Security-buffer fields at 12 (Lm), 20 (Nt), 28 (Domain), 36 (User), 44 (Workstation),
  // 52 (EncryptedRandomSessionKey); payloads in the order Windows lays them out.
  const layout: Array<[number, Buffer]> = [
    [28, utf16(opts.domain)],
    [36, utf16(opts.user)],
    [44, utf16(opts.workstation)],
    [12, lmChallengeResponse],
    [20, ntChallengeResponse],
    [52, encryptedRandomSessionKey],
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
  header.writeUInt32LE(negotiatedFlags, 60);
  if ((negotiatedFlags & NegotiateFlag.VERSION) !== 0) CLIENT_VERSION.copy(header, 64);

  const message = Buffer.concat([header, ...layout.map(([, payload]) => payload)]);
  computeMic(exportedSessionKey, opts.negotiateMessage, opts.challengeMessage, message).copy(message, MIC_OFFSET);
  return { message, exportedSessionKey, sessionBaseKey, negotiatedFlags };
}

// MS-NLMP 3.4.5.2 SIGNKEY and 3.4.5.3 SEALKEY magic constants (NUL-terminated, with ESS and 128-bit keys).
const SIGN_MAGIC = {
  client: 'session key to client-to-server signing key magic constant\0',
  server: 'session key to server-to-client signing key magic constant\0',
} as const;
const SEAL_MAGIC = {
  client: 'session key to client-to-server sealing key magic constant\0',
  server: 'session key to server-to-client sealing key magic constant\0',
} as const;

/**
 * NTLMSSP_MESSAGE_SIGNATURE with extended session security (MS-NLMP 3.4.4.2): Version 1 ‖
 * Checksum ‖ SeqNum, Checksum = first 8 bytes of HMAC-MD5(SignKey, SeqNum ‖ message), RC4-sealed
 * when KEY_EXCH was negotiated. SPNEGO's mechListMIC (RFC 4178 §5) is this MAC
 * over the DER MechTypeList with SeqNum 0, from a fresh sealing handle. Assumes NEGOTIATE_128.
 */
export function ntlmMessageSignature(
  exportedSessionKey: Buffer,
  message: Buffer,
  opts: { sender: 'client' | 'server'; keyExchange: boolean; seqNum?: number },
): Buffer {
  const seqNum = Buffer.alloc(4);
  seqNum.writeUInt32LE(opts.seqNum ?? 0);
  const signKey = createHash('md5').update(exportedSessionKey).update(SIGN_MAGIC[opts.sender], 'latin1').digest();
  const sealKey = createHash('md5').update(exportedSessionKey).update(SEAL_MAGIC[opts.sender], 'latin1').digest();
  const digest = hmacMd5(signKey, seqNum, message).subarray(0, 8);
  const checksum = opts.keyExchange ? rc4(sealKey, digest) : digest;
  const version = Buffer.from([1, 0, 0, 0]);
  return Buffer.concat([version, checksum, seqNum]);
}
