// SMB 3.x key derivation: NIST SP 800-108 §5.1 KDF in counter mode with HMAC-SHA256 and r = 32,
// as MS-SMB2 3.1.4.2 requires, plus the per-dialect labels and contexts of MS-SMB2 3.2.5.3.1.
import { createHmac } from 'node:crypto';

const PRF_BITS = 256;

/**
 * K(i) = HMAC-SHA256(Ki, [i]32BE ‖ Label ‖ 0x00 ‖ Context ‖ [L]32BE), i = 1..n, concatenated and
 * truncated to L bits (SP 800-108 §5.1). SMB labels carry their own trailing NUL
 * ("SMBSigningKey\0"); the 0x00 separator is added here on top of it.
 */
export function smb3Kdf(key: Uint8Array, label: Uint8Array, context: Uint8Array, lengthBits: 128 | 256): Buffer {
  const blocks: Buffer[] = [];
  const lengthField = Buffer.alloc(4);
  lengthField.writeUInt32BE(lengthBits);
  for (let i = 1; i <= Math.ceil(lengthBits / PRF_BITS); i++) {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(i);
    const hmac = createHmac('sha256', key);
    hmac.update(counter).update(label).update(Buffer.of(0)).update(context).update(lengthField);
    blocks.push(hmac.digest());
  }
  return Buffer.concat(blocks).subarray(0, lengthBits / 8);
}

export interface Smb3Keys {
  signingKey: Buffer;
  /** Client → server: what the client encrypts with (the server's DecryptionKey). */
  encryptionKey: Buffer;
  /** Server → client: what the client decrypts with. */
  decryptionKey: Buffer;
}

function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

// MS-SMB2 3.2.5.3.1: labels and contexts for 3.0 / 3.0.2, and the 3.1.1 labels whose context is
// Session.PreauthIntegrityHashValue. Named from the client's side: "ServerIn " is what the server
// receives, hence the client's EncryptionKey.
const LABELS_30 = {
  signing: [ascii('SMB2AESCMAC\0'), ascii('SmbSign\0')],
  encryption: [ascii('SMB2AESCCM\0'), ascii('ServerIn \0')],
  decryption: [ascii('SMB2AESCCM\0'), ascii('ServerOut\0')],
} as const;
const LABELS_311 = {
  signing: ascii('SMBSigningKey\0'),
  encryption: ascii('SMBC2SCipherKey\0'),
  decryption: ascii('SMBS2CCipherKey\0'),
} as const;

const SHA512_BYTES = 64;

/**
 * Session.SigningKey, EncryptionKey and DecryptionKey of MS-SMB2 3.2.5.3.1 from the GSS session
 * key (for NTLM, the ExportedSessionKey).
 *
 * `sessionKey` is the full GSS key. MS-SMB2 3.2.1.3 / 3.2.5.3.1: Session.SessionKey is its first
 * 16 bytes (right-padded with zeros when shorter) and derives the signing key and the 128-bit
 * cipher keys; when the cipher is AES-256-CCM or AES-256-GCM (3.1.1 only) the cipher keys are
 * derived from Session.FullSessionKey, the untruncated key, with L = 256. The two differ only for
 * Kerberos AES-256 tickets (32-byte keys); an NTLM key is always 16 bytes.
 */
export function deriveSmb3Keys(opts: {
  dialect: 0x0300 | 0x0302 | 0x0311;
  sessionKey: Buffer;
  preauthHash?: Buffer;
  cipherKeyBits: 128 | 256;
}): Smb3Keys {
  const { dialect, sessionKey, preauthHash, cipherKeyBits } = opts;
  if (sessionKey.length === 0) throw new RangeError('the session key is empty');
  const truncated = Buffer.alloc(16);
  sessionKey.copy(truncated, 0, 0, Math.min(16, sessionKey.length));
  const cipherInput = cipherKeyBits === 256 ? sessionKey : truncated;

  if (dialect === 0x0311) {
    if (preauthHash?.length !== SHA512_BYTES) {
      throw new RangeError('SMB 3.1.1 key derivation needs the 64-byte preauth integrity hash (MS-SMB2 3.2.5.3.1)');
    }
    return {
      signingKey: smb3Kdf(truncated, LABELS_311.signing, preauthHash, 128),
      encryptionKey: smb3Kdf(cipherInput, LABELS_311.encryption, preauthHash, cipherKeyBits),
      decryptionKey: smb3Kdf(cipherInput, LABELS_311.decryption, preauthHash, cipherKeyBits),
    };
  }
  // MS-SMB2 2.2.3.1.2: the AES-256 ciphers are negotiated only through the 3.1.1 encryption context.
  if (cipherKeyBits !== 128) throw new RangeError('SMB 3.0 and 3.0.2 have only AES-128-CCM (MS-SMB2 3.2.5.3.1)');
  return {
    signingKey: smb3Kdf(truncated, LABELS_30.signing[0], LABELS_30.signing[1], 128),
    encryptionKey: smb3Kdf(truncated, LABELS_30.encryption[0], LABELS_30.encryption[1], 128),
    decryptionKey: smb3Kdf(truncated, LABELS_30.decryption[0], LABELS_30.decryption[1], 128),
  };
}
