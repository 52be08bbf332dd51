// SMB2/3 message signing: MS-SMB2 3.1.4.1 (signing an outgoing message) and 3.1.5.1 (verifying
// an incoming one). The MAC covers the whole SMB2 message, header first, with the 16-byte
// Signature field zeroed; never the 4-byte Direct TCP prefix.
import { createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { aesCmac } from './aesCmac.js';
import { Command, HeaderFlags, SIGNATURE_OFFSET, SMB2_HEADER_SIZE } from '../codec/header.js';

export type SigningAlgorithm = 'hmac-sha256' | 'aes-cmac' | 'aes-gmac';

export interface GmacNonceInput {
  messageId: bigint;
  /** The sender is the server (SMB2_FLAGS_SERVER_TO_REDIR set). */
  isResponse: boolean;
  /** The message is an SMB2 CANCEL request (command 0x000C). */
  isCancel: boolean;
}

// MS-SMB2 2.2.1.2: SMB2 header layout.
const HEADER_BYTES = SMB2_HEADER_SIZE;
const COMMAND_OFFSET = 12;
const FLAGS_OFFSET = 16;
const MESSAGE_ID_OFFSET = 24;
const SIGNATURE_BYTES = 16;
const SMB2_FLAGS_SERVER_TO_REDIR = HeaderFlags.SERVER_TO_REDIR;
const SMB2_FLAGS_SIGNED = HeaderFlags.SIGNED;
const SMB2_CANCEL = Command.CANCEL;

const MAX_UINT64 = 0xffff_ffff_ffff_ffffn;

/** MS-SMB2 3.1.4.1: MessageId (8 bytes LE), then 4 bytes with bit 0 = server sender, bit 1 = CANCEL. */
function gmacNonceBytes(input: GmacNonceInput): Buffer {
  if (input.messageId < 0n || input.messageId > MAX_UINT64) throw new RangeError('MessageId must fit in 64 bits');
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64LE(input.messageId, 0);
  nonce.writeUInt32LE((input.isResponse ? 0x1 : 0) | (input.isCancel ? 0x2 : 0), 8);
  return nonce;
}

function requireAesKey(key: Buffer, alg: SigningAlgorithm): void {
  if (key.length !== 16) throw new RangeError(`${alg} signing needs a 16-byte key, got ${key.length}`);
}

/**
 * The 16-byte signature of `message` (whole SMB2 message, Signature field already zeroed).
 * - hmac-sha256 (2.0.2 / 2.1): HMAC-SHA256(SessionKey) truncated to 16 bytes.
 * - aes-cmac (3.x): AES-128-CMAC(SigningKey), RFC 4493.
 * - aes-gmac (3.1.1 with SIGNING_CAPABILITIES): AES-128-GCM tag over an empty plaintext with the
 *   message as AAD (RFC 4543), nonce from `gmacNonce` (MS-SMB2 3.1.4.1).
 */
export function computeSignature(alg: SigningAlgorithm, key: Buffer, message: Buffer, gmacNonce?: GmacNonceInput): Buffer {
  switch (alg) {
    case 'hmac-sha256':
      return createHmac('sha256', key).update(message).digest().subarray(0, SIGNATURE_BYTES);
    case 'aes-cmac':
      requireAesKey(key, alg);
      return aesCmac(key, message);
    case 'aes-gmac': {
      requireAesKey(key, alg);
      if (gmacNonce === undefined) throw new TypeError('aes-gmac signing needs the MessageId and direction for its nonce');
      const gcm = createCipheriv('aes-128-gcm', key, gmacNonceBytes(gmacNonce), { authTagLength: SIGNATURE_BYTES });
      gcm.setAAD(message);
      gcm.final();
      return gcm.getAuthTag();
    }
  }
}

function requireHeader(message: Buffer): void {
  if (message.length < HEADER_BYTES) throw new RangeError(`an SMB2 message is at least 64 bytes, got ${message.length}`);
}

function nonceInputFromHeader(message: Buffer): GmacNonceInput {
  return {
    messageId: message.readBigUInt64LE(MESSAGE_ID_OFFSET),
    isResponse: (message.readUInt32LE(FLAGS_OFFSET) & SMB2_FLAGS_SERVER_TO_REDIR) !== 0,
    isCancel: message.readUInt16LE(COMMAND_OFFSET) === SMB2_CANCEL,
  };
}

/** Signs `message` in place: sets SMB2_FLAGS_SIGNED, zeroes Signature, writes the MAC there. */
export function signMessage(alg: SigningAlgorithm, key: Buffer, message: Buffer): void {
  requireHeader(message);
  message.writeUInt32LE((message.readUInt32LE(FLAGS_OFFSET) | SMB2_FLAGS_SIGNED) >>> 0, FLAGS_OFFSET);
  message.fill(0, SIGNATURE_OFFSET, SIGNATURE_OFFSET + SIGNATURE_BYTES);
  const signature = computeSignature(alg, key, message, alg === 'aes-gmac' ? nonceInputFromHeader(message) : undefined);
  signature.copy(message, SIGNATURE_OFFSET);
}

/** True when the Signature field of `message` is its MAC under `key`; `message` is not modified. */
export function verifySignature(alg: SigningAlgorithm, key: Buffer, message: Buffer): boolean {
  if (message.length < HEADER_BYTES) return false;
  const received = Buffer.from(message.subarray(SIGNATURE_OFFSET, SIGNATURE_OFFSET + SIGNATURE_BYTES));
  const zeroed = Buffer.from(message);
  zeroed.fill(0, SIGNATURE_OFFSET, SIGNATURE_OFFSET + SIGNATURE_BYTES);
  const expected = computeSignature(alg, key, zeroed, alg === 'aes-gmac' ? nonceInputFromHeader(zeroed) : undefined);
  return timingSafeEqual(expected, received);
}
