// MS-SMB2 2.2.19/2.2.20 READ and 2.2.21/2.2.22 WRITE.
import { Writer, sliceAt } from './wire.js';
import { SMB2_HEADER_SIZE, responseBody } from './header.js';
import { writeFileId, type FileId } from './create.js';

export function encodeReadRequest(req: { fileId: FileId; offset: bigint; length: number; minimumCount?: number }): Buffer {
  const w = new Writer()
    .u16(49)
    .u8(0x50) // Padding: where the server should place the data (after header + 16)
    .u8(0)
    .u32(req.length)
    .u64(req.offset);
  return writeFileId(w, req.fileId).u32(req.minimumCount ?? 0).u32(0).u32(0).u16(0).u16(0).u8(0).toBuffer();
}

export function decodeReadResponse(message: Buffer): { data: Buffer; remaining: number } {
  const r = responseBody(message, 17, 'READ response');
  const offset = r.u8('DataOffset');
  r.u8('Reserved');
  const length = r.u32('DataLength');
  const remaining = r.u32('DataRemaining');
  return { data: sliceAt(message, offset, length, 'READ data'), remaining };
}

export const WRITE_FIXED_SIZE = 48;

/** The WRITE request body with its data; the data sits right after the 48-byte fixed part. */
export function encodeWriteRequest(req: { fileId: FileId; offset: bigint; data: Uint8Array }): Buffer {
  const body = Buffer.alloc(WRITE_FIXED_SIZE + req.data.length);
  writeWriteRequestFixed(body, 0, { fileId: req.fileId, offset: req.offset, length: req.data.length });
  body.set(req.data, WRITE_FIXED_SIZE);
  return body;
}

/**
 * Writes the 48-byte fixed part of a WRITE request into `target` at `at`, so a large copy can read
 * file data straight into the message buffer behind it (no copy of the payload).
 */
export function writeWriteRequestFixed(target: Buffer, at: number, req: { fileId: FileId; offset: bigint; length: number }): void {
  target.fill(0, at, at + WRITE_FIXED_SIZE);
  target.writeUInt16LE(49, at);
  target.writeUInt16LE(SMB2_HEADER_SIZE + WRITE_FIXED_SIZE, at + 2);
  target.writeUInt32LE(req.length, at + 4);
  target.writeBigUInt64LE(req.offset, at + 8);
  target.writeBigUInt64LE(req.fileId.persistent, at + 16);
  target.writeBigUInt64LE(req.fileId.volatile, at + 24);
}

export function decodeWriteResponse(message: Buffer): { count: number } {
  const r = responseBody(message, 17, 'WRITE response');
  r.u16('Reserved');
  return { count: r.u32('Count') };
}
