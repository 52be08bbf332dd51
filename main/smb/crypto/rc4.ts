// RC4 (the ARCFOUR of RFC 6229's test vectors), needed by MS-NLMP 3.4 for
// EncryptedRandomSessionKey and the sealed MAC checksum. Node 20 / OpenSSL 3 refuse 'rc4'.

/** Encrypts (or, the same operation, decrypts) `data` under `key` (1..256 bytes). */
export function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  if (key.length < 1 || key.length > 256) throw new RangeError(`RC4 key must be 1..256 bytes, got ${key.length}`);
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  // Key-scheduling algorithm.
  let j = 0;
  for (let i = 0; i < 256; i++) {
    const si = s[i] ?? 0;
    j = (j + si + (key[i % key.length] ?? 0)) & 0xff;
    s[i] = s[j] ?? 0;
    s[j] = si;
  }
  // Pseudo-random generation, XORed into the output.
  const out = Buffer.alloc(data.length);
  let i = 0;
  j = 0;
  for (let n = 0; n < data.length; n++) {
    i = (i + 1) & 0xff;
    const si = s[i] ?? 0;
    j = (j + si) & 0xff;
    const sj = s[j] ?? 0;
    s[i] = sj;
    s[j] = si;
    out[n] = (data[n] ?? 0) ^ (s[(si + sj) & 0xff] ?? 0);
  }
  return out;
}
