// NEGOTIATE for one connection (MS-SMB2 3.2.4.2.2.2, 3.2.5.2): what the console offers, the checks
// on what the server chose, what that choice means for signing and encryption, and the 3.1.1
// preauth integrity hash. SmbConnection sends the request and keeps the outcome.
import crypto from 'node:crypto';
import type { CipherId } from './crypto/encryption.js';
import type { SigningAlgorithm } from './crypto/signing.js';
import type { Smb2Header } from './codec/header.js';
import {
  Capabilities, Cipher, Dialect, HASH_SHA512, SecurityMode, SigningAlg, decodeNegotiateResponse, encodeNegotiateRequest,
  type NegotiateResponse,
} from './codec/negotiate.js';
import { SmbNegotiateError, SmbProtocolError, SmbStatusError } from './errors.js';
import { Status } from './ntstatus.js';

const signingAlgorithmNames: Record<number, SigningAlgorithm> = {
  [SigningAlg.HMAC_SHA256]: 'hmac-sha256',
  [SigningAlg.AES_CMAC]: 'aes-cmac',
  [SigningAlg.AES_GMAC]: 'aes-gmac',
};

/** The NEGOTIATE request body: `dialects` with the 3.1.1 contexts (every cipher and signing algorithm the console has). */
export function encodeClientNegotiate(dialects: readonly number[], clientGuid: Buffer, random: (n: number) => Buffer): Buffer {
  return encodeNegotiateRequest({
    dialects,
    securityMode: SecurityMode.SIGNING_ENABLED,
    capabilities: Capabilities.LARGE_MTU | Capabilities.ENCRYPTION,
    clientGuid,
    preauthSalt: random(32),
    ciphers: [Cipher.AES128_GCM, Cipher.AES128_CCM, Cipher.AES256_GCM, Cipher.AES256_CCM],
    signingAlgorithms: [SigningAlg.AES_GMAC, SigningAlg.AES_CMAC, SigningAlg.HMAC_SHA256],
  });
}

/** The server's NEGOTIATE response, decoded and checked against what the console offered. */
export function acceptNegotiateResponse(header: Smb2Header, message: Buffer, dialects: readonly number[]): NegotiateResponse {
  if (header.status !== Status.SUCCESS) throw new SmbStatusError(header.status, 'NEGOTIATE');
  let negotiated: NegotiateResponse;
  try {
    negotiated = decodeNegotiateResponse(message);
  } catch (error) {
    throw new SmbProtocolError(`NEGOTIATE response is malformed: ${(error as Error).message}`);
  }
  if (!dialects.includes(negotiated.dialect)) {
    throw new SmbNegotiateError(
      `The server chose dialect 0x${negotiated.dialect.toString(16)}, which the console did not offer.`,
      'The computer may only speak SMB1, which the console does not use (Windows removed it); enable SMB2/3 on it.',
    );
  }
  if (negotiated.dialect === Dialect.SMB311) checkSmb311Choices(negotiated);
  return negotiated;
}

/** 3.1.1: the cipher and signing algorithm are ones the console offered, the preauth hash SHA-512. */
function checkSmb311Choices(negotiated: NegotiateResponse): void {
  const offeredCiphers: readonly number[] = Object.values(Cipher);
  if (negotiated.cipher !== null && negotiated.cipher !== 0 && !offeredCiphers.includes(negotiated.cipher)) {
    throw new SmbProtocolError(`The server chose cipher 0x${negotiated.cipher.toString(16)}, which the console did not offer.`);
  }
  if (negotiated.signingAlgorithm !== null && !(negotiated.signingAlgorithm in signingAlgorithmNames)) {
    throw new SmbProtocolError(`The server chose signing algorithm 0x${negotiated.signingAlgorithm.toString(16)}, which the console did not offer.`);
  }
  if (negotiated.preauthHashAlgorithm !== HASH_SHA512) {
    throw new SmbProtocolError(`The server chose preauth hash 0x${(negotiated.preauthHashAlgorithm ?? 0).toString(16)}, not SHA-512.`);
  }
}

/** 2.x signs with HMAC-SHA256, 3.0 and 3.0.2 with AES-CMAC, 3.1.1 with what the server chose (AES-CMAC if nothing). */
export function signingAlgorithmOf(negotiated: NegotiateResponse): SigningAlgorithm {
  if (negotiated.dialect < Dialect.SMB300) return 'hmac-sha256';
  if (negotiated.dialect === Dialect.SMB311 && negotiated.signingAlgorithm !== null) {
    return signingAlgorithmNames[negotiated.signingAlgorithm] ?? 'aes-cmac';
  }
  return 'aes-cmac';
}

/** The cipher messages are encrypted with, or null when the server offers none. */
export function cipherOf(negotiated: NegotiateResponse): CipherId | null {
  if (negotiated.dialect < Dialect.SMB300) return null;
  if (negotiated.dialect === Dialect.SMB311) return (negotiated.cipher || null) as CipherId | null;
  return negotiated.capabilities & Capabilities.ENCRYPTION ? Cipher.AES128_CCM : null;
}

export function extendPreauthHash(hash: Buffer, message: Buffer): Buffer {
  return crypto.createHash('sha512').update(hash).update(message).digest();
}
