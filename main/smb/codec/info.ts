// MS-SMB2 2.2.37/2.2.38 QUERY_INFO and 2.2.39/2.2.40 SET_INFO, with the two file information
// classes the push needs (MS-FSCC 2.4.41 FileStandardInformation, 2.4.11 FileDispositionInformation).
import { Reader, Writer, sliceAt } from './wire.js';
import { SMB2_HEADER_SIZE, responseBody } from './header.js';
import { writeFileId, type FileId } from './create.js';

export const InfoType = { FILE: 0x01 } as const;
export const FileInfoClass = { STANDARD: 5, DISPOSITION: 13, END_OF_FILE: 20 } as const;

export function encodeQueryInfoRequest(req: { fileId: FileId; infoClass: number; outputLength: number }): Buffer {
  const w = new Writer()
    .u16(41)
    .u8(InfoType.FILE)
    .u8(req.infoClass)
    .u32(req.outputLength)
    .u16(0)
    .u16(0)
    .u32(0)
    .u32(0)
    .u32(0);
  return writeFileId(w, req.fileId).u8(0).toBuffer();
}

export function decodeQueryInfoResponse(message: Buffer): Buffer {
  return decodeOutputBuffer(message, 'QUERY_INFO');
}

/** A response of StructureSize 9 with OutputBufferOffset and OutputBufferLength (QUERY_INFO 2.2.38, QUERY_DIRECTORY 2.2.34): its output. */
export function decodeOutputBuffer(message: Buffer, command: string): Buffer {
  const r = responseBody(message, 9, `${command} response`);
  const offset = r.u16('OutputBufferOffset');
  const length = r.u32('OutputBufferLength');
  return sliceAt(message, offset, length, `${command} output`);
}

export function decodeFileStandardInformation(buf: Buffer): { allocationSize: bigint; endOfFile: bigint; deletePending: boolean; directory: boolean } {
  const r = new Reader(buf);
  const allocationSize = r.u64('AllocationSize');
  const endOfFile = r.u64('EndOfFile');
  r.u32('NumberOfLinks');
  return { allocationSize, endOfFile, deletePending: r.u8('DeletePending') !== 0, directory: r.u8('Directory') !== 0 };
}

export function encodeSetInfoRequest(req: { fileId: FileId; infoClass: number; buffer: Buffer }): Buffer {
  const w = new Writer()
    .u16(33)
    .u8(InfoType.FILE)
    .u8(req.infoClass)
    .u32(req.buffer.length)
    .u16(SMB2_HEADER_SIZE + 32)
    .u16(0)
    .u32(0);
  return writeFileId(w, req.fileId).bytes(req.buffer).toBuffer();
}

export function decodeSetInfoResponse(message: Buffer): void {
  responseBody(message, 2, 'SET_INFO response');
}

/** Marks an open file for deletion on close. */
export function fileDispositionInformation(deletePending: boolean): Buffer {
  return Buffer.from([deletePending ? 1 : 0]);
}
