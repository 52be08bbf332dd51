// MS-FSCC information classes, both directions: what the lab answers in QUERY_INFO (2.4 file, 2.5
// file system) and QUERY_DIRECTORY (2.4 directory entries) — what smbclient, impacket and the
// console's client ask — and the console's decoders of the ones it reads (FileStandardInformation,
// FileDirectoryInformation).
import { Reader, SmbFormatError, Writer, utf16 } from './wire.js';
import { DispositionExFlags, FileAttributes, FileInfoClass, FsInfoClass } from './constants.js';
import type { FileAttributesInfo } from './openInfo.js';

/** FileDirectoryInformation's fixed part (MS-FSCC 2.4.10): an entry is at least this long. */
const ENTRY_FIXED_SIZE = 64;

/** What one file or folder looks like to the information classes. */
export interface NodeInfo extends FileAttributesInfo {
  /** IndexNumber / FileId (MS-FSCC 2.4.20). */
  id: bigint;
  directory: boolean;
  deletePending: boolean;
}

function times(w: Writer, n: FileAttributesInfo): Writer {
  return w.u64(n.creationTime).u64(n.lastAccessTime).u64(n.lastWriteTime).u64(n.changeTime);
}

/** Answer of a fixed-size class, or of a variable one whose fixed part is `minimum` bytes. */
export interface InfoAnswer {
  data: Buffer;
  /** Bytes the caller's buffer must hold at least; less is STATUS_INFO_LENGTH_MISMATCH, less than `data` is BUFFER_OVERFLOW. */
  minimum: number;
}

const fixed = (data: Buffer): InfoAnswer => ({ data, minimum: data.length });

function basic(n: NodeInfo): Buffer {
  return times(new Writer(), n).u32(n.attributes).u32(0).toBuffer();
}

function standard(n: NodeInfo): Buffer {
  return new Writer().u64(n.allocationSize).u64(n.endOfFile).u32(1).u8(n.deletePending ? 1 : 0).u8(n.directory ? 1 : 0).u16(0).toBuffer();
}

/** MS-FSCC 2.4.29 FileNameInformation (2.4.5 FileAlternateNameInformation has the same layout). */
export function fileNameInformation(fileName: string): Buffer {
  const name = utf16(fileName);
  return new Writer().u32(name.length).bytes(name).toBuffer();
}

/** MS-FSCC 2.4 file information for QUERY_INFO (InfoType 1); null = class not supported. */
export function fileInformation(infoClass: number, n: NodeInfo, fullName: string, access: number): InfoAnswer | null {
  const name = utf16(fullName);
  switch (infoClass) {
    case FileInfoClass.BASIC:
      return fixed(basic(n));
    case FileInfoClass.STANDARD:
      return fixed(standard(n));
    case FileInfoClass.INTERNAL:
      return fixed(new Writer().u64(n.id).toBuffer());
    case FileInfoClass.EA:
      return fixed(Buffer.alloc(4));
    case FileInfoClass.ACCESS:
      return fixed(new Writer().u32(access).toBuffer());
    case FileInfoClass.POSITION:
      return fixed(Buffer.alloc(8));
    case FileInfoClass.MODE:
      return fixed(Buffer.alloc(4));
    case FileInfoClass.ALIGNMENT:
      return fixed(Buffer.alloc(4));
    case FileInfoClass.NAME:
      return { data: fileNameInformation(fullName), minimum: 4 };
    case FileInfoClass.ALL: {
      const w = new Writer().bytes(basic(n)).bytes(standard(n)).u64(n.id).u32(0).u32(access).u64(0n).u32(0).u32(0).u32(name.length).bytes(name);
      return { data: w.toBuffer(), minimum: 100 };
    }
    case FileInfoClass.NETWORK_OPEN:
      return fixed(times(new Writer(), n).u64(n.allocationSize).u64(n.endOfFile).u32(n.attributes).u32(0).toBuffer());
    case FileInfoClass.ATTRIBUTE_TAG:
      return fixed(new Writer().u32(n.attributes).u32(0).toBuffer());
    case FileInfoClass.STREAM: {
      if (n.directory) return { data: Buffer.alloc(0), minimum: 0 };
      const stream = utf16('::$DATA');
      return { data: new Writer().u32(0).u32(stream.length).u64(n.endOfFile).u64(n.allocationSize).bytes(stream).toBuffer(), minimum: 24 };
    }
    default:
      return null;
  }
}

/** MS-FSCC 2.5 file system information for QUERY_INFO (InfoType 2); null = class not supported. */
export function fsInformation(infoClass: number, volumeCreated: bigint, serial: number, totalUnits: bigint, freeUnits: bigint): InfoAnswer | null {
  const sectorsPerUnit = 8;
  const bytesPerSector = 512;
  switch (infoClass) {
    case FsInfoClass.VOLUME: {
      const label = utf16('Windows');
      return { data: new Writer().u64(volumeCreated).u32(serial).u32(label.length).u8(0).u8(0).bytes(label).toBuffer(), minimum: 18 };
    }
    case FsInfoClass.SIZE:
      return fixed(new Writer().u64(totalUnits).u64(freeUnits).u32(sectorsPerUnit).u32(bytesPerSector).toBuffer());
    case FsInfoClass.DEVICE:
      return fixed(new Writer().u32(0x07 /* FILE_DEVICE_DISK */).u32(0x20 /* FILE_DEVICE_IS_MOUNTED */).toBuffer());
    case FsInfoClass.ATTRIBUTE: {
      const name = utf16('NTFS');
      // Case-sensitive search, case-preserved and Unicode names, persistent ACLs, named streams.
      return { data: new Writer().u32(0x0004000f).u32(255).u32(name.length).bytes(name).toBuffer(), minimum: 12 };
    }
    case FsInfoClass.FULL_SIZE:
      return fixed(new Writer().u64(totalUnits).u64(freeUnits).u64(freeUnits).u32(sectorsPerUnit).u32(bytesPerSector).toBuffer());
    case FsInfoClass.SECTOR_SIZE:
      return fixed(new Writer().u32(bytesPerSector).u32(bytesPerSector).u32(bytesPerSector).u32(bytesPerSector).u32(0x3).u32(0).u32(0).toBuffer());
    default:
      return null;
  }
}

/** A minimal self-relative security descriptor with no owner and a NULL DACL (MS-DTYP 2.4.6). */
export function nullDaclSecurityDescriptor(): Buffer {
  return new Writer().u8(1).u8(0).u16(0x8004 /* SE_SELF_RELATIVE | SE_DACL_PRESENT */).u32(0).u32(0).u32(0).u32(0).toBuffer();
}

export const DIRECTORY_CLASSES: readonly number[] = [
  FileInfoClass.DIRECTORY, FileInfoClass.FULL_DIRECTORY, FileInfoClass.BOTH_DIRECTORY, FileInfoClass.NAMES, FileInfoClass.ID_BOTH_DIRECTORY, FileInfoClass.ID_FULL_DIRECTORY,
];

/** One directory entry of `infoClass` (MS-FSCC 2.4.8, 2.4.14, 2.4.17, 2.4.18, 2.4.26, 2.4.28), NextEntryOffset 0. */
export function directoryEntry(infoClass: number, n: NodeInfo, leafName: string, index: number): Buffer {
  const name = utf16(leafName);
  const w = new Writer().u32(0).u32(index);
  if (infoClass === FileInfoClass.NAMES) return w.u32(name.length).bytes(name).toBuffer();
  times(w, n).u64(n.endOfFile).u64(n.allocationSize).u32(n.attributes).u32(name.length);
  if (infoClass !== FileInfoClass.DIRECTORY) w.u32(0); // EaSize
  if (infoClass === FileInfoClass.BOTH_DIRECTORY || infoClass === FileInfoClass.ID_BOTH_DIRECTORY) w.u8(0).u8(0).zeros(24); // no 8.3 short name
  if (infoClass === FileInfoClass.ID_BOTH_DIRECTORY) w.u16(0).u64(n.id);
  if (infoClass === FileInfoClass.ID_FULL_DIRECTORY) w.u32(0).u64(n.id);
  return w.bytes(name).toBuffer();
}

/** MS-FSCC 2.4.41 FileStandardInformation, as the console reads it (a file's size). */
export function decodeFileStandardInformation(buf: Buffer): { allocationSize: bigint; endOfFile: bigint; deletePending: boolean; directory: boolean } {
  const r = new Reader(buf);
  const allocationSize = r.u64('AllocationSize');
  const endOfFile = r.u64('EndOfFile');
  r.u32('NumberOfLinks');
  return { allocationSize, endOfFile, deletePending: r.u8('DeletePending') !== 0, directory: r.u8('Directory') !== 0 };
}

export interface DirectoryEntry {
  readonly name: string;
  readonly directory: boolean;
  readonly endOfFile: bigint;
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
    if (name !== '.' && name !== '..') entries.push({ name, directory: (attributes & FileAttributes.DIRECTORY) !== 0, endOfFile });
    if (next === 0) return entries;
    if (next < ENTRY_FIXED_SIZE || next % 8 !== 0) throw new SmbFormatError(`FileDirectoryInformation: NextEntryOffset ${next}`);
    at += next;
  }
}

/** MS-FSCC 2.4.11 FileDispositionInformation: marks an open file for deletion on close. */
export function fileDispositionInformation(deletePending: boolean): Buffer {
  return Buffer.from([deletePending ? 1 : 0]);
}

/** MS-FSCC 2.4.11 FileDispositionInformation (DeletePending) or 2.4.11.2 FileDispositionInformationEx (Flags, FILE_DISPOSITION_DELETE 0x1): whether the file is to go. */
export function decodeFileDisposition(infoClass: number, buf: Buffer): boolean {
  const r = new Reader(buf);
  return infoClass === FileInfoClass.DISPOSITION ? r.u8('DeletePending') !== 0 : (r.u32('Flags') & DispositionExFlags.DELETE) !== 0;
}

/** MS-FSCC 2.4.13 FileEndOfFileInformation. */
export function decodeFileEndOfFile(buf: Buffer): bigint {
  return new Reader(buf).u64('EndOfFile');
}

/** MS-FSCC 2.4.7 FileBasicInformation: the four times and the attributes. */
export function decodeFileBasicInformation(buf: Buffer): Omit<FileAttributesInfo, 'allocationSize' | 'endOfFile'> {
  const r = new Reader(buf);
  return { creationTime: r.u64('CreationTime'), lastAccessTime: r.u64('LastAccessTime'), lastWriteTime: r.u64('LastWriteTime'), changeTime: r.u64('ChangeTime'), attributes: r.u32('FileAttributes') };
}
