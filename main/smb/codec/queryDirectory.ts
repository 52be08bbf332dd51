// MS-SMB2 2.2.33 / 2.2.34 QUERY_DIRECTORY: request and response, each encoded and decoded (the
// response is QUERY_INFO's output-buffer layout), and the chaining of its entries (each entry's
// class is in fscc.ts): what is in a folder (cleanup lists the run folder it removes).
import { Writer, utf16, utf16At } from './wire.js';
import { SMB2_HEADER_SIZE, fixedBody } from './header.js';
import { FileInfoClass } from './constants.js';
import { readFileId, writeFileId, type FileId } from './openInfo.js';
import { decodeOutputBuffer, encodeOutputBuffer } from './info.js';

export { QueryDirectoryFlags } from './constants.js';
/** MS-FSCC 2.4 FileInformationClass of FileDirectoryInformation. */
export const FILE_DIRECTORY_INFORMATION = FileInfoClass.DIRECTORY;
/** QUERY_DIRECTORY's fixed part (StructureSize 33 counts one byte of Buffer). */
const REQUEST_FIXED_SIZE = 32;


export interface QueryDirectoryRequest {
  fileId: FileId;
  pattern: string;
  flags: number;
  outputLength: number;
  /** FileDirectoryInformation when not given. */
  infoClass?: number;
}

/** The pattern right after the 32-byte fixed part (offset 96); FileIndex 0. */
export function encodeQueryDirectoryRequest(req: QueryDirectoryRequest): Buffer {
  const pattern = utf16(req.pattern);
  const w = new Writer().u16(33).u8(req.infoClass ?? FILE_DIRECTORY_INFORMATION).u8(req.flags).u32(0);
  return writeFileId(w, req.fileId).u16(SMB2_HEADER_SIZE + REQUEST_FIXED_SIZE).u16(pattern.length).u32(req.outputLength).bytes(pattern).toBuffer();
}

export function decodeQueryDirectoryRequest(message: Buffer): Required<QueryDirectoryRequest> {
  const r = fixedBody(message, 33, 'QUERY_DIRECTORY request');
  const infoClass = r.u8('FileInformationClass');
  const flags = r.u8('Flags');
  r.u32('FileIndex');
  const fileId = readFileId(r);
  const nameOffset = r.u16('FileNameOffset');
  const nameLength = r.u16('FileNameLength');
  const outputLength = r.u32('OutputBufferLength');
  return { fileId, pattern: utf16At(message, nameOffset, nameLength, 'QUERY_DIRECTORY pattern'), flags, outputLength, infoClass };
}

export const encodeQueryDirectoryResponse = encodeOutputBuffer;

/** The response's output buffer (the same layout as QUERY_INFO's). */
export function decodeQueryDirectoryResponse(message: Buffer): Buffer {
  return decodeOutputBuffer(message, 'QUERY_DIRECTORY');
}

/**
 * Directory entries of any MS-FSCC 2.4 class (each written with NextEntryOffset 0) joined into one
 * output buffer: each 8-byte aligned, each NextEntryOffset pointing at the next, the last 0.
 */
export function chainDirectoryEntries(entries: readonly Buffer[]): Buffer {
  const w = new Writer();
  entries.forEach((entry, i) => {
    const last = i === entries.length - 1;
    const pad = last ? 0 : (8 - (entry.length % 8)) % 8;
    w.u32(last ? 0 : entry.length + pad).bytes(entry.subarray(4)).zeros(pad);
  });
  return w.toBuffer();
}

