// Kerberos 5 AES encryption profiles (aes128-cts-hmac-sha1-96 = 17, aes256-cts-hmac-sha1-96 = 18)
// on node:crypto alone, written from:
//   RFC 3961 "Encryption and Checksum Specifications for Kerberos 5" — n-fold and DR/DK (§5.1), the
//     simplified profile's encrypt/decrypt/checksum (§5.3);
//   RFC 3962 "Advanced Encryption Standard (AES) Encryption for Kerberos 5" — string-to-key (§4),
//     CBC with ciphertext stealing (§5), profile parameters (§6), assigned numbers (§7).
// RC4-HMAC (23) and the RFC 8009 SHA-2 types are out of scope here.
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/** RFC 3962 §7 encryption types. */
export const Etype = { AES128_CTS_HMAC_SHA1_96: 17, AES256_CTS_HMAC_SHA1_96: 18 } as const;
/** RFC 3962 §7 checksum types (used with the etype of the same key size). */
export const ChecksumType = { HMAC_SHA1_96_AES128: 15, HMAC_SHA1_96_AES256: 16 } as const;

export interface KerberosKey { readonly etype: number; readonly value: Buffer }

export type KerberosCryptoErrorCode = 'etype-unsupported' | 'integrity' | 'format';

/** Unsupported etype, bad key length, ciphertext too short, integrity check failed, absurd s2kparams. */
export class KerberosCryptoError extends Error {
  readonly code: KerberosCryptoErrorCode;
  constructor(code: KerberosCryptoErrorCode, message: string) {
    super(message);
    this.name = 'KerberosCryptoError';
    this.code = code;
  }
}

const BLOCK = 16;
/** RFC 3962 §6: HMAC output size h = 12 octets. */
const MAC_BYTES = 12;
/** RFC 3962 §4: no s2kparams means 00 00 10 00. */
const DEFAULT_ITERATIONS = 4096;
/** Our cap on a KDC-supplied iteration count (RFC 3962 §4 allows a limit of at least 50,000). */
const MAX_ITERATIONS = 1_000_000;
/** RFC 3961 §5.3 key usage suffixes. */
const KE = 0xaa;
const KI = 0x55;
const KC = 0x99;

const KEY_BYTES: ReadonlyMap<number, number> = new Map([
  [Etype.AES128_CTS_HMAC_SHA1_96, 16],
  [Etype.AES256_CTS_HMAC_SHA1_96, 32],
]);

const ETYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'des-cbc-crc'], [2, 'des-cbc-md4'], [3, 'des-cbc-md5'], [16, 'des3-cbc-sha1'],
  [17, 'aes128-cts-hmac-sha1-96'], [18, 'aes256-cts-hmac-sha1-96'],
  [19, 'aes128-cts-hmac-sha256-128'], [20, 'aes256-cts-hmac-sha384-192'],
  [23, 'rc4-hmac'], [24, 'rc4-hmac-exp'], [25, 'camellia128-cts-cmac'], [26, 'camellia256-cts-cmac'],
]);

export function isSupportedEtype(etype: number): boolean {
  return KEY_BYTES.has(etype);
}

/** The MIT/IANA name of an etype, else `etype N`. */
export function etypeName(etype: number): string {
  return ETYPE_NAMES.get(etype) ?? `etype ${etype}`;
}

/** RFC 3962 §7: the checksum type that goes with an AES etype. */
export function checksumTypeFor(etype: number): number {
  keyBytes(etype);
  return etype === Etype.AES128_CTS_HMAC_SHA1_96 ? ChecksumType.HMAC_SHA1_96_AES128 : ChecksumType.HMAC_SHA1_96_AES256;
}

function keyBytes(etype: number): number {
  const n = KEY_BYTES.get(etype);
  if (n === undefined) throw new KerberosCryptoError('etype-unsupported', `${etypeName(etype)} is not supported`);
  return n;
}

function checkKey(key: KerberosKey): void {
  const n = keyBytes(key.etype);
  if (key.value.length !== n) {
    throw new KerberosCryptoError('format', `a ${etypeName(key.etype)} key is ${n} bytes, got ${key.value.length}`);
  }
}

/**
 * RFC 3961 §5.1 n-fold: replicate the input to the least common multiple of the input and output
 * lengths, each copy rotated 13 bits further right than the one before, then add the output-sized
 * chunks together in ones'-complement arithmetic (end-around carry).
 */
export function nfold(input: Buffer, outBits: number): Buffer {
  if (!Number.isInteger(outBits) || outBits <= 0 || outBits % 8 !== 0) {
    throw new KerberosCryptoError('format', `n-fold output must be a positive whole number of bytes, got ${outBits} bits`);
  }
  if (input.length === 0) throw new KerberosCryptoError('format', 'n-fold of an empty string');
  const inBytes = input.length;
  const outBytes = outBits / 8;
  const inBits = inBytes * 8;
  const lcm = (inBytes * outBytes) / gcd(inBytes, outBytes);
  const sum = new Array<number>(outBytes).fill(0);
  for (let copy = 0; copy < lcm / inBytes; copy++) {
    const rotation = (13 * copy) % inBits;
    for (let b = 0; b < inBytes; b++) {
      // Byte b of the copy rotated right by `rotation` bits: its bit i is input bit (8b + i - rotation).
      let byte = 0;
      for (let i = 0; i < 8; i++) {
        const src = (((b * 8 + i - rotation) % inBits) + inBits) % inBits;
        byte = (byte << 1) | (((input[src >> 3] ?? 0) >> (7 - (src & 7))) & 1);
      }
      const at = (copy * inBytes + b) % outBytes;
      sum[at] = (sum[at] ?? 0) + byte;
    }
  }
  let carry = 0;
  do {
    for (let i = outBytes - 1; i >= 0; i--) {
      const v = (sum[i] ?? 0) + carry;
      sum[i] = v & 0xff;
      carry = v >>> 8;
    }
  } while (carry !== 0);
  return Buffer.from(sum);
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function aesName(key: Buffer, mode: 'cbc' | 'ecb'): string {
  if (key.length !== 16 && key.length !== 32) throw new KerberosCryptoError('format', `an AES key is 16 or 32 bytes, got ${key.length}`);
  return `aes-${key.length * 8}-${mode}`;
}

function cbc(direction: 'encrypt' | 'decrypt', key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const c = direction === 'encrypt' ? createCipheriv(aesName(key, 'cbc'), key, iv) : createDecipheriv(aesName(key, 'cbc'), key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

function ecbDecryptBlock(key: Buffer, block: Buffer): Buffer {
  const c = createDecipheriv(aesName(key, 'ecb'), key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

/**
 * RFC 3962 §5: AES-CBC with ciphertext stealing, the last two blocks always swapped (CBC-CS3).
 * Under one block is zero-padded to one block; exactly one block is plain CBC. `nextIv` is the
 * next-to-last output block (the encryption of the last plaintext block), or the only block.
 */
export function aesCtsEncrypt(key: Buffer, iv: Buffer, plaintext: Buffer): { output: Buffer; nextIv: Buffer } {
  const padded = Buffer.alloc(Math.max(BLOCK, Math.ceil(plaintext.length / BLOCK) * BLOCK));
  plaintext.copy(padded);
  const c = cbc('encrypt', key, iv, padded);
  if (padded.length === BLOCK) return { output: c, nextIv: Buffer.from(c) };
  const lastLen = plaintext.length - (padded.length - BLOCK);
  const prev = c.subarray(c.length - 2 * BLOCK, c.length - BLOCK);
  const last = c.subarray(c.length - BLOCK);
  const output = Buffer.concat([c.subarray(0, c.length - 2 * BLOCK), last, prev.subarray(0, lastLen)]);
  return { output, nextIv: Buffer.from(last) };
}

/** RFC 3962 §5: the inverse of aesCtsEncrypt; `nextIv` is the next-to-last ciphertext block (or the only one). */
export function aesCtsDecrypt(key: Buffer, iv: Buffer, ciphertext: Buffer): { output: Buffer; nextIv: Buffer } {
  if (ciphertext.length < BLOCK) throw new KerberosCryptoError('format', `CTS ciphertext is at least one block, got ${ciphertext.length} bytes`);
  if (ciphertext.length === BLOCK) return { output: cbc('decrypt', key, iv, ciphertext), nextIv: Buffer.from(ciphertext) };
  const blocks = Math.ceil(ciphertext.length / BLOCK);
  const lastLen = ciphertext.length - (blocks - 1) * BLOCK;
  const head = ciphertext.subarray(0, (blocks - 2) * BLOCK);
  const swapped = ciphertext.subarray((blocks - 2) * BLOCK, (blocks - 1) * BLOCK); // CBC's last block
  const stolen = ciphertext.subarray((blocks - 1) * BLOCK); // the head of CBC's next-to-last block
  // D(swapped) = zero-padded last plaintext XOR CBC's next-to-last block, so the zero padding hands
  // back the tail of that block that encryption left out.
  const tail = ecbDecryptBlock(key, swapped).subarray(lastLen);
  const plain = cbc('decrypt', key, iv, Buffer.concat([head, stolen, tail, swapped]));
  return { output: plain.subarray(0, ciphertext.length), nextIv: Buffer.from(swapped) };
}

/**
 * RFC 3961 §5.1 DK(Key, Constant) = random-to-key(DR(Key, Constant)); DR encrypts n-fold(Constant, 128)
 * with the raw block cipher (AES-ECB, no CTS), then each output again, until there are key-length
 * bytes. AES's random-to-key is the identity (RFC 3962 §6).
 */
export function deriveKey(baseKey: Buffer, constant: Buffer): Buffer {
  const cipher = createCipheriv(aesName(baseKey, 'ecb'), baseKey, null);
  cipher.setAutoPadding(false);
  const out: Buffer[] = [];
  let block = nfold(constant, BLOCK * 8);
  for (let have = 0; have < baseKey.length; have += BLOCK) {
    block = cipher.update(block);
    out.push(block);
  }
  return Buffer.concat(out).subarray(0, baseKey.length);
}

/** RFC 3961 §5.3: the 5-byte constant usage (4 bytes big-endian) | 0xAA / 0x55 / 0x99. */
function usageKey(key: KerberosKey, usage: number, kind: number): Buffer {
  if (!Number.isInteger(usage) || usage < 0 || usage > 0xffffffff) throw new KerberosCryptoError('format', `key usage ${usage} is not a 32-bit unsigned number`);
  const constant = Buffer.alloc(5);
  constant.writeUInt32BE(usage, 0);
  constant[4] = kind;
  return deriveKey(key.value, constant);
}

function hmac96(key: Buffer, data: Buffer): Buffer {
  return createHmac('sha1', key).update(data).digest().subarray(0, MAC_BYTES);
}

/**
 * RFC 3962 §4: tkey = random-to-key(PBKDF2-HMAC-SHA1(password, salt, iterations, key length)),
 * key = DK(tkey, "kerberos"). s2kParams is the 4-byte big-endian iteration count (00000000 means
 * 2^32 per the RFC, which like anything over 1,000,000 is refused with 'format').
 */
export function stringToKey(etype: number, password: string, salt: string, s2kParams?: Buffer): KerberosKey {
  const n = keyBytes(etype);
  let iterations = DEFAULT_ITERATIONS;
  if (s2kParams !== undefined) {
    if (s2kParams.length !== 4) throw new KerberosCryptoError('format', `AES s2kparams are 4 bytes, got ${s2kParams.length}`);
    iterations = s2kParams.readUInt32BE(0);
    if (iterations === 0 || iterations > MAX_ITERATIONS) {
      throw new KerberosCryptoError('format', `refusing a string-to-key iteration count of ${iterations === 0 ? '2^32' : iterations}`);
    }
  }
  const tkey = pbkdf2Sync(Buffer.from(password, 'utf8'), Buffer.from(salt, 'utf8'), iterations, n, 'sha1');
  return { etype, value: deriveKey(tkey, Buffer.from('kerberos', 'ascii')) };
}

/**
 * RFC 3961 §5.3 simplified profile encryption with RFC 3962's parameters:
 * C = E(Ke, confounder | plaintext) with CTS and a zero IV, then HMAC-SHA1-96(Ki, confounder | plaintext).
 */
export function encrypt(key: KerberosKey, usage: number, plaintext: Buffer, confounder?: Buffer): Buffer {
  checkKey(key);
  const conf = confounder ?? randomBytes(BLOCK);
  if (conf.length !== BLOCK) throw new KerberosCryptoError('format', `the confounder is ${BLOCK} bytes, got ${conf.length}`);
  const ke = usageKey(key, usage, KE);
  const ki = usageKey(key, usage, KI);
  const data = Buffer.concat([conf, plaintext]);
  return Buffer.concat([aesCtsEncrypt(ke, Buffer.alloc(BLOCK), data).output, hmac96(ki, data)]);
}

/** RFC 3961 §5.3 decryption: decrypt, then check the HMAC (timing-safe); returns the plaintext without the confounder. */
export function decrypt(key: KerberosKey, usage: number, ciphertext: Buffer): Buffer {
  checkKey(key);
  if (ciphertext.length < BLOCK + MAC_BYTES) {
    throw new KerberosCryptoError('format', `ciphertext of ${ciphertext.length} bytes is shorter than a confounder and a MAC`);
  }
  const ke = usageKey(key, usage, KE);
  const ki = usageKey(key, usage, KI);
  const body = ciphertext.subarray(0, ciphertext.length - MAC_BYTES);
  const mac = ciphertext.subarray(ciphertext.length - MAC_BYTES);
  const data = aesCtsDecrypt(ke, Buffer.alloc(BLOCK), body).output;
  if (!timingSafeEqual(hmac96(ki, data), mac)) throw new KerberosCryptoError('integrity', 'the ciphertext failed its integrity check');
  return data.subarray(BLOCK);
}

/** RFC 3961 §5.3 checksum: HMAC-SHA1-96 under Kc = DK(key, usage | 0x99). */
export function checksum(key: KerberosKey, usage: number, data: Buffer): Buffer {
  checkKey(key);
  return hmac96(usageKey(key, usage, KC), data);
}

/** RFC 3961 §5.3 / §4 verify_mic: recompute and compare in constant time. */
export function verifyChecksum(key: KerberosKey, usage: number, data: Buffer, mac: Buffer): boolean {
  const expected = checksum(key, usage, data);
  return mac.length === expected.length && timingSafeEqual(expected, mac);
}

/** RFC 3962 §6: random-to-key is the identity, so a random key is key-length random bytes. */
export function randomKey(etype: number, random: (n: number) => Buffer = randomBytes): KerberosKey {
  const n = keyBytes(etype);
  const value = random(n);
  if (value.length !== n) throw new KerberosCryptoError('format', `the random source gave ${value.length} bytes, wanted ${n}`);
  return { etype, value: Buffer.from(value) };
}
