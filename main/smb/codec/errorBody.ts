// MS-SMB2 2.2.2 ERROR response, and the 4-byte bodies (StructureSize 4, Reserved) that LOGOFF
// (2.2.7/2.2.8), TREE_DISCONNECT (2.2.11/2.2.12), ECHO (2.2.28/2.2.29), CANCEL (2.2.30) and the
// FLUSH response (2.2.18) share in both directions.
import { Writer, sliceAt } from './wire.js';
import { fixedBody } from './header.js';

/** StructureSize 4 and a reserved word: the request and the response are the same bytes. */
export function encodeEmptyBody(): Buffer {
  return Buffer.from([4, 0, 0, 0]);
}

export function decodeEmptyBody(message: Buffer, what = 'empty body'): void {
  fixedBody(message, 4, what);
}

export interface ErrorBody {
  errorContextCount: number;
  /** ErrorData; an empty one is sent as the one byte the StructureSize of 9 counts. */
  errorData: Buffer;
}

/** MS-SMB2 2.2.2: StructureSize 9, ErrorContextCount, Reserved, ByteCount, ErrorData (at least one byte). */
export function encodeErrorBody(body: ErrorBody = { errorContextCount: 0, errorData: Buffer.alloc(0) }): Buffer {
  const w = new Writer().u16(9).u8(body.errorContextCount).u8(0).u32(body.errorData.length);
  return w.bytes(body.errorData.length ? body.errorData : Buffer.alloc(1)).toBuffer();
}

export function decodeErrorBody(message: Buffer): ErrorBody {
  const r = fixedBody(message, 9, 'ERROR response');
  const errorContextCount = r.u8('ErrorContextCount');
  r.u8('Reserved');
  const byteCount = r.u32('ByteCount');
  return { errorContextCount, errorData: Buffer.from(sliceAt(message, r.offset, byteCount, 'ErrorData')) };
}
