// What requests and responses say of an open: MS-SMB2 2.2.14.1 SMB2_FILEID (the 16-byte handle
// every command after CREATE carries) and the block of times, sizes and attributes the CREATE
// (2.2.14) and CLOSE (2.2.16) responses share.
import type { Reader, Writer } from './wire.js';

export interface FileId {
  persistent: bigint;
  volatile: bigint;
}

export function writeFileId(w: Writer, id: FileId): Writer {
  return w.u64(id.persistent).u64(id.volatile);
}

export function readFileId(r: Reader): FileId {
  return { persistent: r.u64('FileId.Persistent'), volatile: r.u64('FileId.Volatile') };
}

/** Times, sizes and attributes of an open, as CREATE, CLOSE and the MS-FSCC classes report them. */
export interface FileAttributesInfo {
  creationTime: bigint;
  lastAccessTime: bigint;
  lastWriteTime: bigint;
  changeTime: bigint;
  allocationSize: bigint;
  endOfFile: bigint;
  attributes: number;
}

export function writeFileAttributesInfo(w: Writer, info: FileAttributesInfo): Writer {
  return w
    .u64(info.creationTime)
    .u64(info.lastAccessTime)
    .u64(info.lastWriteTime)
    .u64(info.changeTime)
    .u64(info.allocationSize)
    .u64(info.endOfFile)
    .u32(info.attributes);
}

export function readFileAttributesInfo(r: Reader): FileAttributesInfo {
  return {
    creationTime: r.u64('CreationTime'),
    lastAccessTime: r.u64('LastAccessTime'),
    lastWriteTime: r.u64('LastWriteTime'),
    changeTime: r.u64('ChangeTime'),
    allocationSize: r.u64('AllocationSize'),
    endOfFile: r.u64('EndofFile'),
    attributes: r.u32('FileAttributes'),
  };
}

