// NTLMv2 hashes, keys and MACs in one place, for the client and the lab alike (MS-NLMP 3.3.1–3.3.2,
// 3.4.4.2, 3.4.5): the NT hash and NTOWFv2, the NTLMv2 and LMv2 responses with NTProofStr and the
// session base key, KXKEY and key exchange both ways, the MIC, SIGNKEY/SEALKEY and the message
// signature SPNEGO's mechListMIC needs. Pure functions of their inputs.
import { createHash, createHmac } from 'node:crypto';
import { md4 } from '../../crypto/md4.js';
import { rc4 } from '../../crypto/rc4.js';
import { AUTHENTICATE_HEADER_BYTES, MIC_OFFSET } from './messages.js';
import { NegotiateFlag } from './wire.js';

export function hmacMd5(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const hmac = createHmac('md5', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

export function requireLength(value: Buffer, bytes: number, what: string): void {
  if (value.length !== bytes) throw new RangeError(`${what} must be ${bytes} bytes, got ${value.length}`);
}

/** NT hash = MD4(UTF-16LE(password)) (MS-NLMP 3.3.1 NTOWFv1, reused by NTOWFv2). */
export function ntHash(password: string): Buffer {
  return md4(Buffer.from(password, 'utf16le'));
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
  return hmacMd5(ntHashValue, Buffer.from(upcaseLikeWindows(user) + domain, 'utf16le'));
}

/** NTProofStr = HMAC-MD5(ResponseKeyNT, ServerChallenge ‖ temp) (MS-NLMP 3.3.2). */
export function ntProofStr(responseKeyNt: Buffer, serverChallenge: Buffer, temp: Buffer): Buffer {
  return hmacMd5(responseKeyNt, serverChallenge, temp);
}

/** SessionBaseKey = HMAC-MD5(ResponseKeyNT, NTProofStr) (MS-NLMP 3.3.2). */
export function sessionBaseKey(responseKeyNt: Buffer, proof: Buffer): Buffer {
  return hmacMd5(responseKeyNt, proof);
}

/**
 * NTLMv2 response (MS-NLMP 3.3.2): temp = 0x01 0x01 Z(6) ‖ Time ‖ ClientChallenge ‖ Z(4) ‖
 * AV pairs (with MsvAvEOL) ‖ Z(4); NtChallengeResponse = NTProofStr ‖ temp.
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
  const proof = ntProofStr(responseKeyNt, serverChallenge, temp);
  return { ntProofStr: proof, ntChallengeResponse: Buffer.concat([proof, temp]), sessionBaseKey: sessionBaseKey(responseKeyNt, proof) };
}

/** LMv2 response (MS-NLMP 3.3.2): HMAC-MD5(ResponseKeyLM, ServerChallenge ‖ ClientChallenge) ‖ ClientChallenge. */
export function computeLmV2Response(responseKeyLm: Buffer, serverChallenge: Buffer, clientChallenge: Buffer): Buffer {
  return Buffer.concat([hmacMd5(responseKeyLm, serverChallenge, clientChallenge), clientChallenge]);
}

/** Whether a random session key travels RC4-sealed: KEY_EXCH with SIGN or SEAL (MS-NLMP 3.1.5.1.2). */
export function keyExchangeNegotiated(flags: number): boolean {
  return (flags & NegotiateFlag.KEY_EXCH) !== 0 && (flags & (NegotiateFlag.SIGN | NegotiateFlag.SEAL)) !== 0;
}

/**
 * The client's side of MS-NLMP 3.4.5.1 / 3.1.5.1.2: with NTLMv2, KeyExchangeKey (KXKEY) =
 * SessionBaseKey. With key exchange the client's random key is the exported session key, sent
 * RC4-sealed; otherwise the exported session key is SessionBaseKey and nothing is sent.
 */
export function exchangeSessionKey(
  negotiatedFlags: number,
  sessionBaseKeyValue: Buffer,
  randomSessionKey: Buffer,
): { exportedSessionKey: Buffer; encryptedRandomSessionKey: Buffer } {
  const keyExchange = keyExchangeNegotiated(negotiatedFlags);
  return {
    exportedSessionKey: keyExchange ? Buffer.from(randomSessionKey) : sessionBaseKeyValue,
    encryptedRandomSessionKey: keyExchange ? rc4(sessionBaseKeyValue, randomSessionKey) : Buffer.alloc(0),
  };
}

/**
 * The server's side (MS-NLMP 3.2.5.1.2): with KEY_EXCH and a 16-byte EncryptedRandomSessionKey the
 * exported session key is RC4(KXKEY, that key); otherwise it is KXKEY = SessionBaseKey.
 */
export function recoverExportedSessionKey(
  negotiatedFlags: number,
  sessionBaseKeyValue: Buffer,
  encryptedRandomSessionKey: Buffer,
): { exportedSessionKey: Buffer; keyExchange: boolean } {
  const keyExchange = (negotiatedFlags & NegotiateFlag.KEY_EXCH) !== 0 && encryptedRandomSessionKey.length === 16;
  return { exportedSessionKey: keyExchange ? rc4(sessionBaseKeyValue, encryptedRandomSessionKey) : sessionBaseKeyValue, keyExchange };
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

export type NtlmSender = 'client' | 'server';

/** SIGNKEY (MS-NLMP 3.4.5.2) with extended session security: MD5(ExportedSessionKey ‖ magic). */
export function signKey(exportedSessionKey: Buffer, sender: NtlmSender): Buffer {
  return createHash('md5').update(exportedSessionKey).update(SIGN_MAGIC[sender], 'latin1').digest();
}

/** SEALKEY (MS-NLMP 3.4.5.3) with extended session security and NEGOTIATE_128: MD5(ExportedSessionKey ‖ magic). */
export function sealKey(exportedSessionKey: Buffer, sender: NtlmSender): Buffer {
  return createHash('md5').update(exportedSessionKey).update(SEAL_MAGIC[sender], 'latin1').digest();
}

/**
 * NTLMSSP_MESSAGE_SIGNATURE with extended session security (MS-NLMP 3.4.4.2): Version 1 ‖
 * Checksum ‖ SeqNum, Checksum = first 8 bytes of HMAC-MD5(SignKey, SeqNum ‖ message), RC4-sealed
 * when KEY_EXCH was negotiated. SPNEGO's mechListMIC (RFC 4178 §5) is this MAC
 * over the DER MechTypeList with SeqNum 0, from a fresh sealing handle. Assumes NEGOTIATE_128.
 */
export function ntlmMessageSignature(
  exportedSessionKey: Buffer,
  message: Buffer,
  opts: { sender: NtlmSender; keyExchange: boolean; seqNum?: number },
): Buffer {
  const seqNum = Buffer.alloc(4);
  seqNum.writeUInt32LE(opts.seqNum ?? 0);
  const digest = hmacMd5(signKey(exportedSessionKey, opts.sender), seqNum, message).subarray(0, 8);
  const checksum = opts.keyExchange ? rc4(sealKey(exportedSessionKey, opts.sender), digest) : digest;
  return Buffer.concat([Buffer.from([1, 0, 0, 0]), checksum, seqNum]);
}
