// SMB 3.x encryption: the SMB2 TRANSFORM_HEADER (MS-SMB2 2.2.41) around an AEAD-encrypted
// message (MS-SMB2 3.1.4.3 encrypting, 3.2.5.1.1.1 decrypting). AAD is the header from Nonce to
// the end (32 bytes); the AEAD tag is the header's Signature.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { SmbIntegrityError } from './errors.js';
import { SmbFormatError } from '../codec/wire.js';

export type CipherId = 0x0001 /* AES-128-CCM */ | 0x0002 /* AES-128-GCM */ | 0x0003 /* AES-256-CCM */ | 0x0004 /* AES-256-GCM */;

interface CipherSpec {
  mode: 'ccm' | 'gcm';
  algorithm: 'aes-128-ccm' | 'aes-256-ccm' | 'aes-128-gcm' | 'aes-256-gcm';
  keyBytes: number;
  nonceBytes: number;
}

// MS-SMB2 2.2.41: CCM uses the first 11 bytes of Nonce, GCM the first 12.
const CIPHERS: Record<CipherId, CipherSpec> = {
  0x0001: { mode: 'ccm', algorithm: 'aes-128-ccm', keyBytes: 16, nonceBytes: 11 },
  0x0002: { mode: 'gcm', algorithm: 'aes-128-gcm', keyBytes: 16, nonceBytes: 12 },
  0x0003: { mode: 'ccm', algorithm: 'aes-256-ccm', keyBytes: 32, nonceBytes: 11 },
  0x0004: { mode: 'gcm', algorithm: 'aes-256-gcm', keyBytes: 32, nonceBytes: 12 },
};

// MS-SMB2 2.2.41 layout.
const PROTOCOL_ID = Buffer.from([0xfd, 0x53, 0x4d, 0x42]);
const SIGNATURE_OFFSET = 4;
const NONCE_OFFSET = 20;
const NONCE_FIELD_BYTES = 16;
const SIZE_OFFSET = 36;
const FLAGS_OFFSET = 42;
const SESSION_ID_OFFSET = 44;
export const TRANSFORM_HEADER_BYTES = 52;
const TAG_BYTES = 16;
/** Flags (3.1.1) / EncryptionAlgorithm (3.0.x): 0x0001 = Encrypted, the only defined value. */
const FLAGS_ENCRYPTED = 0x0001;
const MAX_UINT64 = 0xffff_ffff_ffff_ffffn;

/** Whether `frame` starts with a transform header's ProtocolId, 0xFD 'S' 'M' 'B' (MS-SMB2 2.2.41). */
export function isTransformHeader(frame: Buffer): boolean {
  return frame.length >= PROTOCOL_ID.length && frame.subarray(0, PROTOCOL_ID.length).equals(PROTOCOL_ID);
}

/** The SessionId of a transform header (MS-SMB2 2.2.41): whose keys decrypt it. Client and lab read it here. */
export function transformSessionId(frame: Buffer): bigint {
  if (frame.length < TRANSFORM_HEADER_BYTES) throw new SmbFormatError(`transform header shorter than ${TRANSFORM_HEADER_BYTES} bytes`);
  return frame.readBigUInt64LE(SESSION_ID_OFFSET);
}

function spec(cipher: CipherId): CipherSpec {
  const found = CIPHERS[cipher] as CipherSpec | undefined;
  if (found === undefined) throw new RangeError(`unknown SMB2 cipher id 0x${Number(cipher).toString(16)}`);
  return found;
}

function seal(s: CipherSpec, key: Buffer, nonce: Buffer, aad: Buffer, plaintext: Buffer): { ciphertext: Buffer; tag: Buffer } {
  const cipher =
    s.mode === 'ccm'
      ? createCipheriv(s.algorithm as 'aes-128-ccm' | 'aes-256-ccm', key, nonce, { authTagLength: TAG_BYTES })
      : createCipheriv(s.algorithm as 'aes-128-gcm' | 'aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

function open(s: CipherSpec, key: Buffer, nonce: Buffer, aad: Buffer, ciphertext: Buffer, tag: Buffer): Buffer {
  const decipher =
    s.mode === 'ccm'
      ? createDecipheriv(s.algorithm as 'aes-128-ccm' | 'aes-256-ccm', key, nonce, { authTagLength: TAG_BYTES })
      : createDecipheriv(s.algorithm as 'aes-128-gcm' | 'aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  decipher.setAAD(aad, { plaintextLength: ciphertext.length });
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

/**
 * Encrypts one SMB2 message (MS-SMB2 3.1.4.3): returns TRANSFORM_HEADER ‖ ciphertext. `nonce` is
 * 11 bytes for CCM and 12 for GCM, from `createNonceSource`, and is zero-padded to the 16-byte
 * field; a full 16-byte field is also accepted (the cipher uses its first 11/12 bytes, the AAD all
 * 16), which is how Windows 8's published vector filled the reserved bytes.
 */
export function encryptMessage(cipher: CipherId, key: Buffer, sessionId: bigint, nonce: Buffer, message: Buffer): Buffer {
  const s = spec(cipher);
  if (key.length !== s.keyBytes) throw new RangeError(`cipher 0x${cipher.toString(16)} needs a ${s.keyBytes}-byte key, got ${key.length}`);
  if (nonce.length !== s.nonceBytes && nonce.length !== NONCE_FIELD_BYTES) {
    throw new RangeError(`cipher 0x${cipher.toString(16)} needs a ${s.nonceBytes}-byte nonce, got ${nonce.length}`);
  }
  if (message.length === 0 || message.length > 0xffff_ffff) throw new RangeError(`cannot encrypt a ${message.length}-byte message`);
  if (sessionId < 0n || sessionId > MAX_UINT64) throw new RangeError('SessionId must fit in 64 bits');

  const header = Buffer.alloc(TRANSFORM_HEADER_BYTES);
  PROTOCOL_ID.copy(header, 0);
  nonce.copy(header, NONCE_OFFSET);
  header.writeUInt32LE(message.length, SIZE_OFFSET);
  header.writeUInt16LE(FLAGS_ENCRYPTED, FLAGS_OFFSET);
  header.writeBigUInt64LE(sessionId, SESSION_ID_OFFSET);

  const { ciphertext, tag } = seal(s, key, nonce.subarray(0, s.nonceBytes), header.subarray(NONCE_OFFSET), message);
  tag.copy(header, SIGNATURE_OFFSET);
  return Buffer.concat([header, ciphertext]);
}

/**
 * Checks and decrypts a transformed message (MS-SMB2 3.2.5.1.1.1). Every length is checked before
 * it is used; a malformed header or a failed tag throws SmbIntegrityError. The caller checks that
 * the returned SessionId is one of its sessions and uses that session's DecryptionKey.
 */
export function decryptMessage(cipher: CipherId, key: Buffer, transformed: Buffer): { sessionId: bigint; message: Buffer } {
  const s = spec(cipher);
  if (key.length !== s.keyBytes) throw new RangeError(`cipher 0x${cipher.toString(16)} needs a ${s.keyBytes}-byte key, got ${key.length}`);
  if (transformed.length < TRANSFORM_HEADER_BYTES) {
    throw new SmbIntegrityError(`a TRANSFORM_HEADER is 52 bytes, got ${transformed.length}`);
  }
  if (!transformed.subarray(0, 4).equals(PROTOCOL_ID)) throw new SmbIntegrityError('not an SMB2 TRANSFORM_HEADER (ProtocolId is not 0xFD S M B)');
  if (transformed.readUInt16LE(FLAGS_OFFSET) !== FLAGS_ENCRYPTED) throw new SmbIntegrityError('TRANSFORM_HEADER Flags is not Encrypted (0x0001)');
  const size = transformed.readUInt32LE(SIZE_OFFSET);
  const ciphertext = transformed.subarray(TRANSFORM_HEADER_BYTES);
  if (size === 0 || size !== ciphertext.length) {
    throw new SmbIntegrityError(`OriginalMessageSize ${size} does not match the ${ciphertext.length} encrypted bytes`);
  }
  const tag = transformed.subarray(SIGNATURE_OFFSET, SIGNATURE_OFFSET + TAG_BYTES);
  const nonce = transformed.subarray(NONCE_OFFSET, NONCE_OFFSET + s.nonceBytes);
  const aad = transformed.subarray(NONCE_OFFSET, TRANSFORM_HEADER_BYTES);
  let message: Buffer;
  try {
    message = open(s, key, nonce, aad, ciphertext, tag);
  } catch {
    throw new SmbIntegrityError('decryption failed: the message was altered or the key is wrong');
  }
  return { sessionId: transformed.readBigUInt64LE(SESSION_ID_OFFSET), message };
}

/**
 * Nonces for one connection's encryption key (MS-SMB2 2.2.41: a nonce MUST NOT be reused within
 * a session). Layout: a random prefix drawn once (3 bytes for CCM, 4 for GCM) followed by a
 * 64-bit little-endian counter, so values never repeat until the counter is exhausted, and then
 * the source throws rather than wrap. `firstCounter` exists for tests of that limit.
 */
export function createNonceSource(cipher: CipherId, random: (n: number) => Buffer, firstCounter = 0n): () => Buffer {
  const s = spec(cipher);
  const prefixBytes = s.nonceBytes - 8;
  const prefix = random(prefixBytes);
  if (prefix.length !== prefixBytes) throw new RangeError(`random(${prefixBytes}) returned ${prefix.length} bytes`);
  if (firstCounter < 0n || firstCounter > MAX_UINT64) throw new RangeError('the first nonce counter must fit in 64 bits');
  let counter = firstCounter;
  let exhausted = false;
  return () => {
    if (exhausted) throw new RangeError('the nonce counter is exhausted: re-establish the session');
    const nonce = Buffer.alloc(s.nonceBytes);
    prefix.copy(nonce, 0);
    nonce.writeBigUInt64LE(counter, prefixBytes);
    if (counter === MAX_UINT64) exhausted = true;
    else counter += 1n;
    return nonce;
  };
}

/** The nonce length `encryptMessage` expects for `cipher`: 11 (CCM) or 12 (GCM). */
export function nonceLength(cipher: CipherId): number {
  return spec(cipher).nonceBytes;
}
