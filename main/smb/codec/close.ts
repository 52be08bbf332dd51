// MS-SMB2 2.2.15 / 2.2.16 CLOSE: request and response, each encoded and decoded. The response
// carries the file's attributes only when the request asked (SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB).
import { Writer } from './wire.js';
import { fixedBody } from './header.js';
import { CloseFlags } from './constants.js';
import { readFileAttributesInfo, readFileId, writeFileAttributesInfo, writeFileId, type FileAttributesInfo, type FileId } from './openInfo.js';

export interface CloseRequest {
  flags: number;
  fileId: FileId;
}

/** A bare FileId closes without POSTQUERY_ATTRIB. */
export function encodeCloseRequest(req: CloseRequest | FileId): Buffer {
  const { flags, fileId } = 'fileId' in req ? req : { flags: 0, fileId: req };
  return writeFileId(new Writer().u16(24).u16(flags).u32(0), fileId).toBuffer();
}

export function decodeCloseRequest(message: Buffer): CloseRequest {
  const r = fixedBody(message, 24, 'CLOSE request');
  const flags = r.u16('Flags');
  r.u32('Reserved');
  return { flags, fileId: readFileId(r) };
}

/** Null: no attributes (Flags 0, the 52 bytes after it zero). */
export function encodeCloseResponse(info: FileAttributesInfo | null): Buffer {
  const w = new Writer().u16(60).u16(info ? CloseFlags.POSTQUERY_ATTRIB : 0).u32(0);
  return info ? writeFileAttributesInfo(w, info).toBuffer() : w.zeros(52).toBuffer();
}

export function decodeCloseResponse(message: Buffer): FileAttributesInfo | null {
  const r = fixedBody(message, 60, 'CLOSE response');
  const flags = r.u16('Flags');
  r.u32('Reserved');
  const info = readFileAttributesInfo(r);
  return flags & CloseFlags.POSTQUERY_ATTRIB ? info : null;
}
