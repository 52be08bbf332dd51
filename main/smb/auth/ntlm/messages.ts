// The three NTLM messages both ways (MS-NLMP 2.2.1): NEGOTIATE (2.2.1.1), CHALLENGE (2.2.1.2) and
// AUTHENTICATE (2.2.1.3), encoded as Windows lays them out and decoded with every offset checked.
// Bytes only: hashes and keys are in keys.ts, the client in client.ts, the lab's acceptor in
// main/lab/smb/ntlmServer.ts.
import { interpretAvPairs, readAvPairs, type AvPairs } from './avPairs.js';
import {
  MessageType, NTLMSSP_REVISION_W2K3, NTLMSSP_SIGNATURE, NegotiateFlag, decodeText, decodeVersion, encodeText, encodeVersion,
  expectMessage, payloadField, payloadStart, withPayloads, type NtlmVersion,
} from './wire.js';

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

/** MS-NLMP 2.2.2.10: informational only ("used for debugging"); 10.0, NTLMSSP_REVISION_W2K3. */
export const CLIENT_VERSION: NtlmVersion = { major: 10, minor: 0, build: 0, ntlmRevision: NTLMSSP_REVISION_W2K3 };

const NEGOTIATE_BYTES = 40;
const NEGOTIATE_MIN = 16;
const CHALLENGE_HEADER_BYTES = 56;
const CHALLENGE_MIN = 48;
const VERSION_END = 56;
export const AUTHENTICATE_HEADER_BYTES = 88;
const AUTHENTICATE_MIN = 64;
export const MIC_OFFSET = 72;

function header(type: number, bytes: number): Buffer {
  const message = Buffer.alloc(bytes);
  NTLMSSP_SIGNATURE.copy(message, 0);
  message.writeUInt32LE(type, 8);
  return message;
}

export interface NegotiateMessage {
  flags: number;
  /** DomainName and Workstation: empty unless the OEM_*_SUPPLIED flags are set (Windows never sends them). */
  domain: string;
  workstation: string;
  version?: NtlmVersion;
}

/** NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1): no domain or workstation supplied, with a Version. */
export function encodeNegotiateMessage(flags: number = CLIENT_FLAGS, version: NtlmVersion = CLIENT_VERSION): Buffer {
  const message = header(MessageType.NEGOTIATE, NEGOTIATE_BYTES);
  message.writeUInt32LE(flags >>> 0, 12);
  // DomainNameFields (16) and WorkstationFields (24) stay zero: offsets of empty fields.
  encodeVersion(version).copy(message, 32);
  return message;
}

/** NEGOTIATE_MESSAGE; a short one (16 bytes: signature, type, flags) is read as flags alone. */
export function decodeNegotiateMessage(bytes: Uint8Array): NegotiateMessage {
  const message = expectMessage(bytes, MessageType.NEGOTIATE, NEGOTIATE_MIN);
  const flags = message.readUInt32LE(12);
  if (message.length < 32) return { flags, domain: '', workstation: '' };
  const domain = payloadField(message, 16, 'NEGOTIATE DomainName').toString('latin1');
  const workstation = payloadField(message, 24, 'NEGOTIATE Workstation').toString('latin1');
  const hasVersion = (flags & NegotiateFlag.VERSION) !== 0 && message.length >= NEGOTIATE_BYTES && payloadStart(message, [16, 24]) >= NEGOTIATE_BYTES;
  return { flags, domain, workstation, ...(hasVersion ? { version: decodeVersion(message, 32) } : {}) };
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

/** CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2): a 56-byte header (Version zero unless given), TargetName, TargetInfo. */
export function encodeChallengeMessage(c: Omit<ChallengeMessage, 'avPairs'>): Buffer {
  if (c.serverChallenge.length !== 8) throw new RangeError('the server challenge is 8 bytes');
  const message = header(MessageType.CHALLENGE, CHALLENGE_HEADER_BYTES);
  message.writeUInt32LE(c.flags >>> 0, 20);
  c.serverChallenge.copy(message, 24);
  if (c.version) encodeVersion(c.version).copy(message, 48);
  return withPayloads(message, [
    [12, encodeText(c.targetName, c.flags)],
    [40, c.targetInfo],
  ]);
}

/** CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2); every offset and length is checked before it is read. */
export function decodeChallengeMessage(bytes: Uint8Array): ChallengeMessage {
  const message = expectMessage(bytes, MessageType.CHALLENGE, CHALLENGE_MIN);
  const flags = message.readUInt32LE(20);
  const targetName = decodeText(payloadField(message, 12, 'CHALLENGE TargetName'), flags, 'TargetName');
  const targetInfo = payloadField(message, 40, 'CHALLENGE TargetInfo');
  // The Version field exists only when negotiated and the payload starts after it.
  const hasVersion = (flags & NegotiateFlag.VERSION) !== 0 && payloadStart(message, [12, 40]) >= VERSION_END;
  return {
    flags,
    serverChallenge: Buffer.from(message.subarray(24, 32)),
    targetName,
    targetInfo: Buffer.from(targetInfo),
    avPairs: interpretAvPairs(readAvPairs(targetInfo)),
    ...(hasVersion ? { version: decodeVersion(message, 48) } : {}),
  };
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
  /** Sent when VERSION is negotiated; default CLIENT_VERSION. */
  version?: NtlmVersion;
}

export interface AuthenticateMessage extends Required<Omit<AuthenticateFields, 'version'>> {
  version?: NtlmVersion;
  /** The 16-byte MIC, null when the payload starts before offset 88 (no MIC field). */
  mic: Buffer | null;
}

/** AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3) with a zero MIC at MIC_OFFSET, for the caller to compute and fill in. */
export function encodeAuthenticateMessage(fields: AuthenticateFields): Buffer {
  const message = header(MessageType.AUTHENTICATE, AUTHENTICATE_HEADER_BYTES);
  message.writeUInt32LE(fields.negotiatedFlags >>> 0, 60);
  if ((fields.negotiatedFlags & NegotiateFlag.VERSION) !== 0) encodeVersion(fields.version ?? CLIENT_VERSION).copy(message, 64);
  // Security-buffer fields at 12 (Lm), 20 (Nt), 28 (Domain), 36 (User), 44 (Workstation),
  // 52 (EncryptedRandomSessionKey); payloads in the order Windows lays them out.
  const text = (s: string) => encodeText(s, fields.negotiatedFlags);
  return withPayloads(message, [
    [28, text(fields.domain)],
    [36, text(fields.user)],
    [44, text(fields.workstation)],
    [12, fields.lmChallengeResponse],
    [20, fields.ntChallengeResponse],
    [52, fields.encryptedRandomSessionKey],
  ]);
}

const AUTHENTICATE_FIELDS = [12, 20, 28, 36, 44, 52] as const;

/** AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3); every field is checked to lie inside the message. */
export function decodeAuthenticateMessage(bytes: Uint8Array): AuthenticateMessage {
  const message = expectMessage(bytes, MessageType.AUTHENTICATE, AUTHENTICATE_MIN);
  const flags = message.readUInt32LE(60);
  const field = (at: number, what: string) => Buffer.from(payloadField(message, at, `AUTHENTICATE ${what}`));
  const text = (at: number, what: string) => decodeText(payloadField(message, at, `AUTHENTICATE ${what}`), flags, `AUTHENTICATE ${what}`);
  const lmChallengeResponse = field(12, 'LmChallengeResponse');
  const ntChallengeResponse = field(20, 'NtChallengeResponse');
  const domain = text(28, 'DomainName');
  const user = text(36, 'UserName');
  const workstation = text(44, 'Workstation');
  const encryptedRandomSessionKey = field(52, 'EncryptedRandomSessionKey');
  const start = payloadStart(message, AUTHENTICATE_FIELDS);
  const hasVersion = (flags & NegotiateFlag.VERSION) !== 0 && start >= MIC_OFFSET;
  return {
    lmChallengeResponse, ntChallengeResponse, domain, user, workstation, encryptedRandomSessionKey,
    negotiatedFlags: flags,
    ...(hasVersion ? { version: decodeVersion(message, 64) } : {}),
    mic: start >= AUTHENTICATE_HEADER_BYTES ? Buffer.from(message.subarray(MIC_OFFSET, AUTHENTICATE_HEADER_BYTES)) : null,
  };
}

