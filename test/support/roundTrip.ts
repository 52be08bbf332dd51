// One check for a two-way codec: the value encodes to exactly the given bytes and the bytes decode
// to exactly the value. Used for every SMB2 message (test/unit/smbCodecRoundTrip.test.ts).
import assert from 'node:assert/strict';
import { SMB2_HEADER_SIZE } from '../../main/smb/codec/header.js';

export interface Codec<V> {
  encode(value: V): Buffer;
  decode(bytes: Buffer): V;
}

/** Hex with any white space in it. */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** encode(value) is `bytes` byte for byte, and decode(bytes) deep-equals `value`. */
export function roundTrip<V>(codec: Codec<V>, value: V, bytes: string, what = 'round trip'): void {
  const expected = hex(bytes);
  assert.equal(codec.encode(value).toString('hex'), expected.toString('hex'), `${what}: encode`);
  assert.deepEqual(codec.decode(expected), value, `${what}: decode`);
}

/**
 * A message-body codec as the SMB2 codecs have them: encoders write the body after the 64-byte
 * header, decoders read a whole message (offsets count from the header). The header here is zeros.
 */
export function bodyCodec<V>(encode: (value: V) => Buffer, decode: (message: Buffer) => V): Codec<V> {
  return { encode, decode: (bytes) => decode(Buffer.concat([Buffer.alloc(SMB2_HEADER_SIZE), bytes])) };
}
