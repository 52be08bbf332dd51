// MS-SMB2 2.2.19 / 2.2.20 READ and 2.2.21 / 2.2.22 WRITE: requests and responses, each encoded and
// decoded (the client reads and writes, the lab answers). Data sits right after each fixed part.
import { Writer, sliceAt } from './wire.js';
import { SMB2_HEADER_SIZE, fixedBody } from './header.js';
import { readFileId, writeFileId, type FileId } from './openInfo.js';

export interface ReadRequest {
  fileId: FileId;
  offset: bigint;
  length: number;
  minimumCount?: number;
}

export function encodeReadRequest(req: ReadRequest): Buffer {
  const w = new Writer()
    .u16(49)
    .u8(0x50) // Padding: where the server should place the data (after header + 16)
    .u8(0)
    .u32(req.length)
    .u64(req.offset);
  return writeFileId(w, req.fileId).u32(req.minimumCount ?? 0).u32(0).u32(0).u16(0).u16(0).u8(0).toBuffer();
}

export function decodeReadRequest(message: Buffer): Required<ReadRequest> {
  const r = fixedBody(message, 49, 'READ request');
  r.u8('Padding');
  r.u8('Flags');
  const length = r.u32('Length');
  const offset = r.u64('Offset');
  const fileId = readFileId(r);
  return { fileId, offset, length, minimumCount: r.u32('MinimumCount') };
}

/** The data right after the 16-byte fixed part (DataOffset 80); StructureSize 17 counts one byte of it, sent even when empty. */
export function encodeReadResponse(res: { data: Buffer; remaining: number }): Buffer {
  const w = new Writer().u16(17).u8(SMB2_HEADER_SIZE + 16).u8(0).u32(res.data.length).u32(res.remaining).u32(0);
  return w.bytes(res.data.length ? res.data : Buffer.alloc(1)).toBuffer();
}

export function decodeReadResponse(message: Buffer): { data: Buffer; remaining: number } {
  const r = fixedBody(message, 17, 'READ response');
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

/** `data` is a view into the message. */
export function decodeWriteRequest(message: Buffer): { fileId: FileId; offset: bigint; data: Buffer } {
  const r = fixedBody(message, 49, 'WRITE request');
  const dataOffset = r.u16('DataOffset');
  const length = r.u32('Length');
  const offset = r.u64('Offset');
  const fileId = readFileId(r);
  return { fileId, offset, data: sliceAt(message, dataOffset, length, 'WRITE data') };
}

/** 16 bytes although StructureSize says 17: the response has no Buffer, and Windows sends none (Microsoft's SMB 3.0 WRITE response vector, test/fixtures/windows/ms-blog-smb3-encryption.txt). */
export function encodeWriteResponse(res: { count: number }): Buffer {
  return new Writer().u16(17).u16(0).u32(res.count).u32(0).u16(0).u16(0).toBuffer();
}

export function decodeWriteResponse(message: Buffer): { count: number } {
  const r = fixedBody(message, 17, 'WRITE response');
  r.u16('Reserved');
  return { count: r.u32('Count') };
}
