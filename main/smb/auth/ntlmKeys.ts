// NTLMv2 hashes, keys and MACs (MS-NLMP 3.3.1–3.3.2, 3.4.4.2, 3.4.5): the NT hash and NTOWFv2,
// the NTLMv2 and LMv2 responses, key exchange, the MIC and the message signature SPNEGO's
// mechListMIC needs. Pure functions of their inputs; the message layouts are in ntlmMessages.ts.
import { createHash, createHmac } from 'node:crypto';
import { md4 } from '../crypto/md4.js';
import { rc4 } from '../crypto/rc4.js';
import { utf16 } from '../codec/wire.js';
import { AUTHENTICATE_HEADER_BYTES, MIC_OFFSET, NegotiateFlag } from './ntlmMessages.js';

function hmacMd5(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const hmac = createHmac('md5', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

export function requireLength(value: Buffer, bytes: number, what: string): void {
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

/** LMv2 response (MS-NLMP 3.3.2): HMAC-MD5(ResponseKeyLM, ServerChallenge ‖ ClientChallenge) ‖ ClientChallenge. */
export function computeLmV2Response(responseKeyLm: Buffer, serverChallenge: Buffer, clientChallenge: Buffer): Buffer {
  return Buffer.concat([hmacMd5(responseKeyLm, serverChallenge, clientChallenge), clientChallenge]);
}

/**
 * MS-NLMP 3.4.5.1 / 3.1.5.1.2: with NTLMv2, KeyExchangeKey = SessionBaseKey. With KEY_EXCH (and
 * SIGN or SEAL) the client's random key is the exported session key, sent RC4-sealed; otherwise
 * the exported session key is SessionBaseKey and nothing is sent.
 */
export function exchangeSessionKey(
  negotiatedFlags: number,
  sessionBaseKey: Buffer,
  randomSessionKey: Buffer,
): { exportedSessionKey: Buffer; encryptedRandomSessionKey: Buffer } {
  const keyExchange = (negotiatedFlags & NegotiateFlag.KEY_EXCH) !== 0 && (negotiatedFlags & (NegotiateFlag.SIGN | NegotiateFlag.SEAL)) !== 0;
  return {
    exportedSessionKey: keyExchange ? Buffer.from(randomSessionKey) : sessionBaseKey,
    encryptedRandomSessionKey: keyExchange ? rc4(sessionBaseKey, randomSessionKey) : Buffer.alloc(0),
  };
}

/** MIC = HMAC-MD5(ExportedSessionKey, NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE with a zero MIC) (MS-NLMP 3.1.5.1.2). */
export function computeMic(exportedSessionKey: Buffer, negotiate: Buffer, challenge: Buffer, authenticate: Buffer): Buffer {
  if (authenticate.length < AUTHENTICATE_HEADER_BYTES) throw new RangeError('the AUTHENTICATE message has no MIC field');
  const zeroed = Buffer.from(authenticate);
  zeroed.fill(0, MIC_OFFSET, MIC_OFFSET + 16);
  return hmacMd5(exportedSessionKey, negotiate, challenge, zeroed);
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
