// MS-CIFS 2.2.4.52.1 SMB_COM_NEGOTIATE request, the one SMB1 message an SMB2 server still reads
// (MS-SMB2 3.3.5.3.1): a client that starts with SMB1 names its dialects in it, and an SMB2 server
// answers with an SMB2 NEGOTIATE response when "SMB 2.002" or "SMB 2.???" is among them.
import { Reader } from './wire.js';

/** 0xFF 'S' 'M' 'B'. */
export const SMB1_PROTOCOL_ID = Buffer.from([0xff, 0x53, 0x4d, 0x42]);
const SMB_COM_NEGOTIATE = 0x72;
const SMB1_HEADER_SIZE = 32;

/** The dialect strings of an SMB_COM_NEGOTIATE (each 0x02-prefixed, NUL-terminated); null when `frame` is not one. */
export function decodeSmb1NegotiateDialects(frame: Buffer): string[] | null {
  if (frame.length < SMB1_HEADER_SIZE + 3 || !frame.subarray(0, 4).equals(SMB1_PROTOCOL_ID) || frame[4] !== SMB_COM_NEGOTIATE) return null;
  const r = new Reader(frame, SMB1_HEADER_SIZE);
  const wordCount = r.u8('WordCount');
  if (frame.length < r.offset + wordCount * 2 + 2) return null;
  r.skip(wordCount * 2, 'Words');
  const byteCount = r.u16('ByteCount');
  const data = frame.subarray(r.offset, Math.min(frame.length, r.offset + byteCount));
  return data
    .toString('latin1')
    .split('\x02')
    .map((d) => d.replace(/\0.*$/s, ''));
}

/** What an SMB_COM_NEGOTIATE offers, 2 bytes for an empty list: the client side of the exchange, for tests and tools. */
export function encodeSmb1Negotiate(dialects: readonly string[]): Buffer {
  const data = Buffer.from(dialects.map((d) => `\x02${d}\0`).join(''), 'latin1');
  const header = Buffer.alloc(SMB1_HEADER_SIZE);
  SMB1_PROTOCOL_ID.copy(header);
  header[4] = SMB_COM_NEGOTIATE;
  return Buffer.concat([header, Buffer.from([0, data.length & 0xff, data.length >> 8]), data]);
}
