// MS-SMB2 2.2.17 / 2.2.18 FLUSH: the request names the open; the response is the empty body of errorBody.ts.
import { Writer } from './wire.js';
import { fixedBody } from './header.js';
import { readFileId, writeFileId, type FileId } from './openInfo.js';

export { decodeEmptyBody as decodeFlushResponse, encodeEmptyBody as encodeFlushResponse } from './errorBody.js';

export function encodeFlushRequest(req: { fileId: FileId }): Buffer {
  return writeFileId(new Writer().u16(24).u16(0).u32(0), req.fileId).toBuffer();
}

export function decodeFlushRequest(message: Buffer): { fileId: FileId } {
  const r = fixedBody(message, 24, 'FLUSH request');
  r.u16('Reserved1');
  r.u32('Reserved2');
  return { fileId: readFileId(r) };
}
