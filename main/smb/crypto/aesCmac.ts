// AES-128-CMAC (RFC 4493), the SMB 3.x signing MAC of MS-SMB2 3.1.4.1. Node has AES but no CMAC,
// so the MAC is built from aes-128-ecb (subkeys, RFC 4493 §2.3) and aes-128-cbc (the chain, §2.4).
import { createCipheriv } from 'node:crypto';

const BLOCK = 16;
const RB = 0x87; // RFC 4493 §2.3: the constant for 128-bit blocks.

function encryptBlock(key: Uint8Array, block: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-128-ecb', key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

/** One-bit left shift of a 16-byte block, XORing Rb in when the top bit falls off (RFC 4493 §2.3). */
function doubleBlock(block: Buffer): Buffer {
  const out = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i++) {
    out[i] = (((block[i] ?? 0) << 1) | ((block[i + 1] ?? 0) >>> 7)) & 0xff;
  }
  if (((block[0] ?? 0) & 0x80) !== 0) out[BLOCK - 1] = (out[BLOCK - 1] ?? 0) ^ RB;
  return out;
}

/** AES-CMAC of `message` under a 16-byte `key`: 16 bytes (RFC 4493 §2.4). */
export function aesCmac(key: Uint8Array, message: Uint8Array): Buffer {
  if (key.length !== BLOCK) throw new RangeError(`AES-CMAC key must be 16 bytes, got ${key.length}`);
  const k1 = doubleBlock(encryptBlock(key, Buffer.alloc(BLOCK)));
  const k2 = doubleBlock(k1);

  const blocks = Math.max(1, Math.ceil(message.length / BLOCK));
  const complete = message.length > 0 && message.length % BLOCK === 0;
  const padded = Buffer.alloc(blocks * BLOCK);
  padded.set(message);
  if (!complete) padded[message.length] = 0x80;
  const subkey = complete ? k1 : k2;
  const last = (blocks - 1) * BLOCK;
  for (let i = 0; i < BLOCK; i++) padded[last + i] = (padded[last + i] ?? 0) ^ (subkey[i] ?? 0);

  // CBC-MAC with a zero IV: the last ciphertext block is the tag.
  const chain = createCipheriv('aes-128-cbc', key, Buffer.alloc(BLOCK));
  chain.setAutoPadding(false);
  const encrypted = Buffer.concat([chain.update(padded), chain.final()]);
  return Buffer.from(encrypted.subarray(encrypted.length - BLOCK));
}
