// MS-SMB2 2.2.33/2.2.34 QUERY_DIRECTORY request and response, with the entries of MS-FSCC 2.4.10
// FileDirectoryInformation: what is in a folder (cleanup lists the run folder it removes).
import { Reader, SmbFormatError, Writer, utf16 } from './wire.js';
import { SMB2_HEADER_SIZE } from './header.js';
import { writeFileId, type FileId } from './create.js';
import { decodeOutputBuffer } from './info.js';

/** MS-SMB2 2.2.33 Flags. */
export const QueryDirectoryFlags = { RESTART_SCANS: 0x01, RETURN_SINGLE_ENTRY: 0x02, INDEX_SPECIFIED: 0x04, REOPEN: 0x10 } as const;
/** MS-FSCC 2.4 FileInformationClass of FileDirectoryInformation. */
export const FILE_DIRECTORY_INFORMATION = 0x01;
/** MS-FSCC 2.6 FILE_ATTRIBUTE_DIRECTORY. */
const ATTRIBUTE_DIRECTORY = 0x10;
/** The fixed part of a FileDirectoryInformation entry, before FileName. */
const ENTRY_FIXED_SIZE = 64;
/** QUERY_DIRECTORY's fixed part (StructureSize 33 counts one byte of Buffer). */
const REQUEST_FIXED_SIZE = 32;

export interface DirectoryEntry {
  readonly name: string;
  readonly directory: boolean;
  readonly endOfFile: bigint;
}

export function encodeQueryDirectoryRequest(req: { fileId: FileId; pattern: string; flags: number; outputLength: number }): Buffer {
  const pattern = utf16(req.pattern);
  const w = new Writer().u16(33).u8(FILE_DIRECTORY_INFORMATION).u8(req.flags).u32(0);
  return writeFileId(w, req.fileId).u16(SMB2_HEADER_SIZE + REQUEST_FIXED_SIZE).u16(pattern.length).u32(req.outputLength).bytes(pattern).toBuffer();
}

/** The response's output buffer (the same layout as QUERY_INFO's). */
export function decodeQueryDirectoryResponse(message: Buffer): Buffer {
  return decodeOutputBuffer(message, 'QUERY_DIRECTORY');
}

/** The entries of a FileDirectoryInformation buffer, each at its predecessor's NextEntryOffset; `.` and `..` left out. */
export function decodeFileDirectoryInformation(buf: Buffer): DirectoryEntry[] {
  const entries: DirectoryEntry[] = [];
  for (let at = 0; ; ) {
    const r = new Reader(buf, at);
    const next = r.u32('NextEntryOffset');
    r.skip(4 + 32, 'FileIndex and times');
    const endOfFile = r.u64('EndOfFile');
    r.u64('AllocationSize');
    const attributes = r.u32('FileAttributes');
    const nameLength = r.u32('FileNameLength');
    const name = r.bytes(nameLength, 'FileName').toString('utf16le');
    if (name !== '.' && name !== '..') entries.push({ name, directory: (attributes & ATTRIBUTE_DIRECTORY) !== 0, endOfFile });
    if (next === 0) return entries;
    if (next < ENTRY_FIXED_SIZE || next % 8 !== 0) throw new SmbFormatError(`FileDirectoryInformation: NextEntryOffset ${next}`);
    at += next;
  }
}
