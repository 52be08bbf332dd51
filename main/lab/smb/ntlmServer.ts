// The server side of NTLMv2 (MS-NLMP): reading the client's NEGOTIATE (2.2.1.1), building the
// CHALLENGE with the host's target info (2.2.1.2, 2.2.2.1), reading the AUTHENTICATE (2.2.1.3),
// checking the NTLMv2 response against an account's NT hash (3.3.2, 3.2.5.1.2), recovering the
// exported session key (3.4.5.1) and checking the MIC (3.2.5.1.2). Randomness and time are passed in.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AvId, NegotiateFlag, computeMic, ntowfV2 } from '../../smb/auth/ntlm.js';
import { rc4 } from '../../smb/crypto/rc4.js';

/** A token that is not the NTLMSSP message MS-NLMP describes: the logon fails, the server stays up. */
export class NtlmServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NtlmServerError';
  }
}

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');
/** MS-NLMP 2.2.2.5 NTLMSSP_TARGET_TYPE_SERVER: the target name is a computer, not a domain. */
const TARGET_TYPE_SERVER = 0x0002_0000;
const CHALLENGE_HEADER_BYTES = 56;
const AUTHENTICATE_MIC_OFFSET = 72;
const AUTHENTICATE_MIC_END = 88;
const AV_FLAG_MIC_PRESENT = 0x2;
const NTLMV2_RESPONSE_MIN = 16 + 28;

export function isNtlmssp(token: Buffer, type: number): boolean {
  return token.length >= 12 && token.subarray(0, 8).equals(SIGNATURE) && token.readUInt32LE(8) === type;
}

/** The NegotiateFlags of a NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1). */
export function decodeNegotiateFlags(message: Buffer): number {
  if (!isNtlmssp(message, 1) || message.length < 16) throw new NtlmServerError('not an NTLM NEGOTIATE message');
  return message.readUInt32LE(12);
}

export interface ChallengeIdentity {
  netbiosComputer: string;
  netbiosDomain: string;
  dnsComputer: string;
  dnsDomain: string;
  version: { major: number; minor: number; build: number };
}

function avPair(id: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16LE(id, 0);
  header.writeUInt16LE(value.length, 2);
  return Buffer.concat([header, value]);
}

/** The flags the server answers with: what it always sets, plus what the client asked for of the optional ones. */
export function challengeFlags(clientFlags: number): number {
  const echoed =
    NegotiateFlag.SIGN | NegotiateFlag.SEAL | NegotiateFlag.KEY_EXCH | NegotiateFlag.KEY_128 | NegotiateFlag.KEY_56 | NegotiateFlag.EXTENDED_SESSIONSECURITY;
  const charset = clientFlags & NegotiateFlag.UNICODE ? NegotiateFlag.UNICODE : NegotiateFlag.OEM;
  return (
    (NegotiateFlag.REQUEST_TARGET | NegotiateFlag.NTLM | NegotiateFlag.ALWAYS_SIGN | NegotiateFlag.TARGET_INFO | NegotiateFlag.VERSION | TARGET_TYPE_SERVER |
      charset |
      (clientFlags & echoed)) >>>
    0
  );
}

/** CHALLENGE_MESSAGE with Windows' AV pair order: NetBIOS domain, computer, DNS domain, computer, tree, timestamp. */
export function encodeChallengeMessage(clientFlags: number, serverChallenge: Buffer, timestamp: bigint, id: ChallengeIdentity): Buffer {
  if (serverChallenge.length !== 8) throw new RangeError('the server challenge is 8 bytes');
  const flags = challengeFlags(clientFlags);
  const text = (s: string): Buffer => (flags & NegotiateFlag.UNICODE ? Buffer.from(s, 'utf16le') : Buffer.from(s, 'latin1'));
  const stamp = Buffer.alloc(8);
  stamp.writeBigUInt64LE(timestamp);
  const pairs = [
    avPair(AvId.NB_DOMAIN_NAME, Buffer.from(id.netbiosDomain, 'utf16le')),
    avPair(AvId.NB_COMPUTER_NAME, Buffer.from(id.netbiosComputer, 'utf16le')),
    avPair(AvId.DNS_DOMAIN_NAME, Buffer.from(id.dnsDomain, 'utf16le')),
    avPair(AvId.DNS_COMPUTER_NAME, Buffer.from(id.dnsComputer, 'utf16le')),
  ];
  if (id.dnsDomain) pairs.push(avPair(AvId.DNS_TREE_NAME, Buffer.from(id.dnsDomain, 'utf16le')));
  pairs.push(avPair(AvId.TIMESTAMP, stamp), avPair(AvId.EOL, Buffer.alloc(0)));
  const targetInfo = Buffer.concat(pairs);
  const targetName = text(id.netbiosComputer);

  const header = Buffer.alloc(CHALLENGE_HEADER_BYTES);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(2, 8);
  header.writeUInt16LE(targetName.length, 12);
  header.writeUInt16LE(targetName.length, 14);
  header.writeUInt32LE(CHALLENGE_HEADER_BYTES, 16);
  header.writeUInt32LE(flags, 20);
  serverChallenge.copy(header, 24);
  header.writeUInt16LE(targetInfo.length, 40);
  header.writeUInt16LE(targetInfo.length, 42);
  header.writeUInt32LE(CHALLENGE_HEADER_BYTES + targetName.length, 44);
  // MS-NLMP 2.2.2.10 VERSION: major, minor, build, three reserved bytes, NTLMSSP_REVISION_W2K3.
  header.writeUInt8(id.version.major & 0xff, 48);
  header.writeUInt8(id.version.minor & 0xff, 49);
  header.writeUInt16LE(id.version.build & 0xffff, 50);
  header.writeUInt8(0x0f, 55);
  return Buffer.concat([header, targetName, targetInfo]);
}

export interface AuthenticateFields {
  flags: number;
  ntResponse: Buffer;
  domain: string;
  user: string;
  workstation: string;
  encryptedRandomSessionKey: Buffer;
  /** The payload starts after the 16-byte MIC field (offset 72). */
  hasMicField: boolean;
}

/** AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3); every field is checked to lie inside the message. */
export function decodeAuthenticateMessage(message: Buffer): AuthenticateFields {
  if (!isNtlmssp(message, 3) || message.length < 64) throw new NtlmServerError('not an NTLM AUTHENTICATE message');
  const offsets: number[] = [];
  const field = (at: number, what: string): Buffer => {
    const length = message.readUInt16LE(at);
    const offset = message.readUInt32LE(at + 4);
    if (offset > message.length || length > message.length - offset) throw new NtlmServerError(`AUTHENTICATE ${what} lies outside the message`);
    if (length > 0) offsets.push(offset);
    return message.subarray(offset, offset + length);
  };
  const flags = message.readUInt32LE(60);
  const text = (b: Buffer, what: string): string => {
    if (!(flags & NegotiateFlag.UNICODE)) return b.toString('latin1');
    if (b.length % 2 !== 0) throw new NtlmServerError(`AUTHENTICATE ${what} has an odd UTF-16 length`);
    return b.toString('utf16le');
  };
  field(12, 'LmChallengeResponse');
  const ntResponse = field(20, 'NtChallengeResponse');
  const domain = text(field(28, 'DomainName'), 'DomainName');
  const user = text(field(36, 'UserName'), 'UserName');
  const workstation = text(field(44, 'Workstation'), 'Workstation');
  const encryptedRandomSessionKey = field(52, 'EncryptedRandomSessionKey');
  const payloadStart = Math.min(...offsets, message.length);
  return { flags, ntResponse, domain, user, workstation, encryptedRandomSessionKey, hasMicField: payloadStart >= AUTHENTICATE_MIC_END };
}

function hmacMd5(key: Buffer, ...parts: Buffer[]): Buffer {
  const h = createHmac('md5', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** MsvAvFlags of the AV pairs inside an NTLMv2 response (its `temp` after 28 bytes), 0 when absent. */
function responseAvFlags(ntResponse: Buffer): number {
  let at = NTLMV2_RESPONSE_MIN;
  while (ntResponse.length - at >= 4) {
    const id = ntResponse.readUInt16LE(at);
    const length = ntResponse.readUInt16LE(at + 2);
    at += 4;
    if (id === AvId.EOL || length > ntResponse.length - at) return 0;
    if (id === AvId.FLAGS && length === 4) return ntResponse.readUInt32LE(at);
    at += length;
  }
  return 0;
}

export interface VerifiedLogon {
  exportedSessionKey: Buffer;
  keyExchange: boolean;
}

/**
 * Checks the NTLMv2 response of `auth` against `ntHash` (MS-NLMP 3.3.2) under the user and domain
 * the client put in the message, recovers the exported session key (3.4.5.1), and checks the MIC
 * when the client's MsvAvFlags announce one. Null: wrong password, NTLMv1, anonymous, or a bad MIC.
 */
export function verifyNtlmV2(opts: {
  auth: AuthenticateFields;
  authMessage: Buffer;
  negotiateMessage: Buffer;
  challengeMessage: Buffer;
  serverChallenge: Buffer;
  ntHash: Buffer;
}): VerifiedLogon | null {
  const { auth } = opts;
  if (auth.ntResponse.length < NTLMV2_RESPONSE_MIN + 4) return null;
  const responseKey = ntowfV2(opts.ntHash, auth.user, auth.domain);
  const proof = auth.ntResponse.subarray(0, 16);
  const expected = hmacMd5(responseKey, opts.serverChallenge, auth.ntResponse.subarray(16));
  if (!timingSafeEqual(expected, proof)) return null;
  const sessionBaseKey = hmacMd5(responseKey, expected);
  const keyExchange = (auth.flags & NegotiateFlag.KEY_EXCH) !== 0 && auth.encryptedRandomSessionKey.length === 16;
  const exportedSessionKey = keyExchange ? rc4(sessionBaseKey, auth.encryptedRandomSessionKey) : sessionBaseKey;
  if (responseAvFlags(auth.ntResponse) & AV_FLAG_MIC_PRESENT) {
    if (!auth.hasMicField) return null;
    const mic = opts.authMessage.subarray(AUTHENTICATE_MIC_OFFSET, AUTHENTICATE_MIC_END);
    const want = computeMic(exportedSessionKey, opts.negotiateMessage, opts.challengeMessage, opts.authMessage);
    if (!timingSafeEqual(want, mic)) return null;
  }
  return { exportedSessionKey, keyExchange };
}
