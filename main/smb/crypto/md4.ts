// MD4 (RFC 1320), needed for the NT hash of MS-NLMP 3.3.1. OpenSSL 3 (and so Node 20) ships
// MD4 only in its legacy provider, which Node does not load: createHash('md4') throws.

const BLOCK_BYTES = 64;

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

// RFC 1320 §3.4: the three auxiliary functions and the round-2/3 constants.
function f(x: number, y: number, z: number): number {
  return (x & y) | (~x & z);
}
function g(x: number, y: number, z: number): number {
  return (x & y) | (x & z) | (y & z);
}
function h(x: number, y: number, z: number): number {
  return x ^ y ^ z;
}
const ROUND2 = 0x5a827999;
const ROUND3 = 0x6ed9eba1;

// Word order and shift amounts of rounds 1-3 (RFC 1320 §3.4, Step 4).
const R1_SHIFTS = [3, 7, 11, 19];
const R2_ORDER = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15];
const R2_SHIFTS = [3, 5, 9, 13];
const R3_ORDER = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];
const R3_SHIFTS = [3, 9, 11, 15];

function at(values: readonly number[], index: number): number {
  return values[index] ?? 0;
}

function compress(state: Uint32Array, x: Uint32Array): void {
  const s = [state[0] ?? 0, state[1] ?? 0, state[2] ?? 0, state[3] ?? 0];
  // Each step updates one of a, b, c, d in rotation: a, d, c, b.
  const step = (i: number, value: (a: number, b: number, c: number) => number, shift: number): void => {
    const target = (4 - (i % 4)) % 4;
    const a = at(s, target);
    const b = at(s, (target + 1) % 4);
    const c = at(s, (target + 2) % 4);
    const d = at(s, (target + 3) % 4);
    s[target] = rotl((a + value(b, c, d)) | 0, shift);
  };
  for (let i = 0; i < 16; i++) {
    step(i, (b, c, d) => f(b, c, d) + (x[i] ?? 0), at(R1_SHIFTS, i % 4));
  }
  for (let i = 0; i < 16; i++) {
    const k = at(R2_ORDER, i);
    step(i, (b, c, d) => g(b, c, d) + (x[k] ?? 0) + ROUND2, at(R2_SHIFTS, i % 4));
  }
  for (let i = 0; i < 16; i++) {
    const k = at(R3_ORDER, i);
    step(i, (b, c, d) => h(b, c, d) + (x[k] ?? 0) + ROUND3, at(R3_SHIFTS, i % 4));
  }
  for (let i = 0; i < 4; i++) state[i] = ((state[i] ?? 0) + at(s, i)) >>> 0;
}

/** MD4 digest (RFC 1320) of `data`: 16 bytes. */
export function md4(data: Uint8Array): Buffer {
  // RFC 1320 §3.1-3.2: append 0x80, zero-pad to 56 mod 64, then the bit length as 64-bit LE.
  const padded = Buffer.alloc(Math.ceil((data.length + 9) / BLOCK_BYTES) * BLOCK_BYTES);
  padded.set(data);
  padded[data.length] = 0x80;
  padded.writeUInt32LE((data.length * 8) >>> 0, padded.length - 8);
  padded.writeUInt32LE(Math.floor(data.length / 0x20000000) >>> 0, padded.length - 4);

  const state = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);
  const words = new Uint32Array(16);
  for (let offset = 0; offset < padded.length; offset += BLOCK_BYTES) {
    for (let i = 0; i < 16; i++) words[i] = padded.readUInt32LE(offset + i * 4);
    compress(state, words);
  }
  const digest = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) digest.writeUInt32LE(state[i] ?? 0, i * 4);
  return digest;
}
