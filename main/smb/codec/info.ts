// MS-SMB2 2.2.37 / 2.2.38 QUERY_INFO and 2.2.39 / 2.2.40 SET_INFO: requests and responses, each
// encoded and decoded, with the output-buffer layout QUERY_DIRECTORY's response shares, and the
// MS-FSCC classes the push reads and writes: 2.4.41 FileStandardInformation, 2.4.11
// FileDispositionInformation, 2.4.42 FileRenameInformation (the SMB2 form).
import { Reader, Writer, sliceAt, utf16, utf16At } from './wire.js';
import { SMB2_HEADER_SIZE, fixedBody } from './header.js';
import { InfoType } from './constants.js';
import { readFileId, writeFileId, type FileId } from './openInfo.js';

export { FileInfoClass, FsInfoClass, InfoType } from './constants.js';

export interface QueryInfoRequest {
  fileId: FileId;
  infoClass: number;
  outputLength: number;
  /** SMB2_0_INFO_FILE when not given. */
  infoType?: number;
  additionalInformation?: number;
}

export interface SetInfoRequest {
  fileId: FileId;
  infoClass: number;
  buffer: Buffer;
  /** SMB2_0_INFO_FILE when not given. */
  infoType?: number;
}

/** No input buffer; StructureSize 41 counts one byte of Buffer, sent as 0. */
export function encodeQueryInfoRequest(req: QueryInfoRequest): Buffer {
  const w = new Writer()
    .u16(41)
    .u8(req.infoType ?? InfoType.FILE)
    .u8(req.infoClass)
    .u32(req.outputLength)
    .u16(0) // InputBufferOffset
    .u16(0) // Reserved
    .u32(0) // InputBufferLength
    .u32(req.additionalInformation ?? 0)
    .u32(0); // Flags
  return writeFileId(w, req.fileId).u8(0).toBuffer();
}

export function decodeQueryInfoRequest(message: Buffer): Required<QueryInfoRequest> {
  const r = fixedBody(message, 41, 'QUERY_INFO request');
  const infoType = r.u8('InfoType');
  const infoClass = r.u8('FileInfoClass');
  const outputLength = r.u32('OutputBufferLength');
  const inputOffset = r.u16('InputBufferOffset');
  r.u16('Reserved');
  const inputLength = r.u32('InputBufferLength');
  const additionalInformation = r.u32('AdditionalInformation');
  r.u32('Flags');
  const fileId = readFileId(r);
  sliceAt(message, inputOffset, inputLength, 'QUERY_INFO input');
  return { fileId, infoClass, outputLength, infoType, additionalInformation };
}

/** StructureSize 9, OutputBufferOffset (72), OutputBufferLength, the output: QUERY_INFO (2.2.38) and QUERY_DIRECTORY (2.2.34) responses. */
export function encodeOutputBuffer(output: Buffer): Buffer {
  const w = new Writer().u16(9).u16(SMB2_HEADER_SIZE + 8).u32(output.length).bytes(output);
  if (output.length === 0) w.u8(0);
  return w.toBuffer();
}

export function decodeOutputBuffer(message: Buffer, command: string): Buffer {
  const r = fixedBody(message, 9, `${command} response`);
  const offset = r.u16('OutputBufferOffset');
  const length = r.u32('OutputBufferLength');
  return sliceAt(message, offset, length, `${command} output`);
}

export const encodeQueryInfoResponse = encodeOutputBuffer;

export function decodeQueryInfoResponse(message: Buffer): Buffer {
  return decodeOutputBuffer(message, 'QUERY_INFO');
}

/** The buffer right after the 32-byte fixed part (offset 96). */
export function encodeSetInfoRequest(req: SetInfoRequest): Buffer {
  const w = new Writer()
    .u16(33)
    .u8(req.infoType ?? InfoType.FILE)
    .u8(req.infoClass)
    .u32(req.buffer.length)
    .u16(SMB2_HEADER_SIZE + 32)
    .u16(0) // Reserved
    .u32(0); // AdditionalInformation
  return writeFileId(w, req.fileId).bytes(req.buffer).toBuffer();
}

/** `buffer` is a view into the message. */
export function decodeSetInfoRequest(message: Buffer): Required<SetInfoRequest> {
  const r = fixedBody(message, 33, 'SET_INFO request');
  const infoType = r.u8('InfoType');
  const infoClass = r.u8('FileInfoClass');
  const length = r.u32('BufferLength');
  const offset = r.u16('BufferOffset');
  r.u16('Reserved');
  r.u32('AdditionalInformation');
  const fileId = readFileId(r);
  return { fileId, infoClass, buffer: sliceAt(message, offset, length, 'SET_INFO buffer'), infoType };
}

/** StructureSize 2 and nothing else. */
export function encodeSetInfoResponse(): Buffer {
  return Buffer.from([2, 0]);
}

export function decodeSetInfoResponse(message: Buffer): void {
  fixedBody(message, 2, 'SET_INFO response');
}


export interface RenameInformation {
  replaceIfExists: boolean;
  /** The target path relative to the share. */
  name: string;
}

/** MS-FSCC 2.4.42.2 FILE_RENAME_INFORMATION_TYPE_2: ReplaceIfExists, 7 reserved, RootDirectory (0), FileNameLength, FileName. */
export function encodeRenameInformation(info: RenameInformation): Buffer {
  const name = utf16(info.name);
  return new Writer().u8(info.replaceIfExists ? 1 : 0).zeros(7).u64(0n).u32(name.length).bytes(name).toBuffer();
}

export function decodeRenameInformation(buffer: Buffer): RenameInformation {
  const r = new Reader(buffer);
  const replaceIfExists = r.u8('ReplaceIfExists') !== 0;
  r.skip(7, 'Reserved');
  r.u64('RootDirectory');
  const length = r.u32('FileNameLength');
  return { replaceIfExists, name: utf16At(buffer, r.offset, length, 'FileRenameInformation name') };
}
